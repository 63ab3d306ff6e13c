# Weighted Cox fits with fractional case weights on lung.
# Outputs: coxph_weighted.json, lung_weighted.csv
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

lw <- lung_weighted()   # see _helpers.R: 228 complete rows, w = (1:n %% 7 + 1) / 3
write_csv_exact(lw[, c("row", "time", "status", "dead", "age", "sex", "w")], "lung_weighted")

fits <- list()
for (ties in c("efron", "breslow")) {
  for (rob in c(FALSE, TRUE)) {
    fit <- coxph(Surv(time, status == 2) ~ age + sex, data = lw, weights = w, ties = ties, robust = rob)
    s <- cox_summary(fit)
    s$call <- paste0("coxph(Surv(time, status == 2) ~ age + sex, data = lung_weighted, weights = w, ties = \"",
                     ties, "\"", if (rob) ", robust = TRUE" else "", ")")
    s$robust <- rob
    fits[[paste0(ties, if (rob) "__robust" else "")]] <- s
  }
}
# unweighted fit on the same rows, for contrast
fit0 <- coxph(Surv(time, status == 2) ~ age + sex, data = lw, ties = "efron")
s0 <- cox_summary(fit0); s0$call <- "coxph(Surv(time, status == 2) ~ age + sex, data = lung_weighted, ties = \"efron\")"
fits[["efron__unweighted"]] <- s0

write_json_out(list(
  meta = meta("coxph_weighted.R"),
  data = list(file = "lung_weighted.csv",
              description = "survival::lung rows with time, status, age, sex all present (all 228); row = row number in survival::lung; dead = status == 2; w = (seq_len(n) %% 7 + 1) / 3 (values 1/3 .. 7/3, cycling 2/3, 3/3, ..., 7/3, 1/3 from row 1)"),
  conventions = list(
    weights = "case weights: each row's contributions to the partial log-likelihood, score and information are multiplied by w (risk-set sums are weighted sums); Efron's tie correction uses the weighted mean of the tied events' risk scores",
    se = "without robust: sqrt(diag(vcov)) = inverse of the weighted information (weights treated as replication counts); with robust = TRUE: sandwich, naive_se holds the model-based one",
    loglik = "weighted partial log-likelihood fit$loglik[2] (loglik_null at beta = 0)"),
  fits = fits
), "coxph_weighted")
