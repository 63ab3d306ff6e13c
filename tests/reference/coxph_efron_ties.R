# Cox proportional hazards with tied event times: Efron vs Breslow (and exact for the toys).
# Outputs: coxph_efron_ties.json, coxph_efron_ties_toy.csv, coxph_efron_ties_toy2.csv
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

telco <- load_telco()

# Telco: tenure is whole months; 11 customers have tenure 0 (all Churn = No).  coxph accepts
# time 0 (it only rejects negative times), so all 7043 rows are kept; the tenure-0 rows are
# censored before the first event time (1) and so are in no risk set: they do not change any estimate.
telco_fits <- list()
for (form_name in c("Contract", "Contract + InternetService")) {
  f <- as.formula(paste("Surv(tenure, churn) ~", form_name))
  for (ties in c("efron", "breslow")) {
    fit <- coxph(f, data = telco, ties = ties)
    s <- cox_summary(fit)
    s$call <- paste0("coxph(Surv(tenure, churn) ~ ", form_name, ", data = telco, ties = \"", ties, "\")")
    telco_fits[[paste0(gsub(" \\+ ", "+", form_name), "__", ties)]] <- s
  }
}

# Toy 1 (from the brief): 40 rows, x = a (rows 1-20) / b (rows 21-40), time = 1,2,3,1,2,3,...,
# every row an event.
toy <- data.frame(x = rep(c("a", "b"), each = 20),
                  time = rep(c(1, 2, 3), length.out = 40),
                  status = 1L)
# Toy 2: heavier ties, censoring (status 0) tied with events, and a real group effect.
toy2 <- data.frame(x = rep(c("a", "b"), each = 20),
                   time = c(rep(c(1, 1, 2, 3), 5), rep(c(2, 3, 3, 4), 5)),
                   status = rep(c(1L, 1L, 0L, 1L, 1L), 8))
write_csv_exact(toy, "coxph_efron_ties_toy")
write_csv_exact(toy2, "coxph_efron_ties_toy2")

toy_fits <- list()
for (nm in c("toy", "toy2")) {
  dd <- get(nm)
  for (ties in c("efron", "breslow", "exact")) {
    fit <- coxph(Surv(time, status) ~ x, data = dd, ties = ties)
    s <- cox_summary(fit)
    s$call <- paste0("coxph(Surv(time, status) ~ x, data = ", nm, ", ties = \"", ties, "\")")
    toy_fits[[paste0(nm, "__", ties)]] <- s
  }
}

write_json_out(list(
  meta = meta("coxph_efron_ties.R"),
  data = list(
    telco = c(telco_meta(), list(n_rows = nrow(telco), n_tenure_zero = sum(telco$tenure == 0),
                                 tenure_zero_kept = TRUE,
                                 note = "coxph accepts tenure 0; all 7043 rows are used (fit$n = 7043)")),
    toy = "coxph_efron_ties_toy.csv (x, time, status)",
    toy2 = "coxph_efron_ties_toy2.csv (x, time, status)"),
  conventions = list(
    se = "sqrt(diag(vcov(fit))) = model-based (inverse information) SE",
    loglik = "fit$loglik: [1] at beta = 0 (loglik_null), [2] at the estimate (loglik); partial log-likelihood of the chosen ties method",
    score_test = "fit$score: score (log-rank) test at beta = 0",
    wald_test = "fit$wald.test",
    coef_names = "R treatment contrasts: factor level names appended to the variable name, first level is the reference"),
  telco = telco_fits,
  toys = toy_fits
), "coxph_efron_ties")
