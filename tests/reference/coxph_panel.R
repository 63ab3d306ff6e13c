# Cox fits on a customer-period panel (counting-process data, time-varying covariate), with
# tied whole-period times: model-based and clustered (robust) SEs, Efron and Breslow, and the
# concordance of the counting-process fit.
# Outputs: coxph_panel.json, coxph_panel.csv
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

# 300 customers, up to 6 periods of 1-4 months each; promo switches on at random between
# periods; churn hazard 0.05 * exp(0.8 * promo + 0.3 * x) per month.
set.seed(11)
rows <- list()
for (id in 1:300) {
  x <- round(rnorm(1), 2)
  promo <- 0L
  start <- 0
  for (k in 1:6) {
    stop <- start + sample(1:4, 1)
    h <- 0.05 * exp(0.8 * promo + 0.3 * x)
    churn <- as.integer(runif(1) < 1 - exp(-h * (stop - start)))
    rows[[length(rows) + 1]] <- data.frame(id = id, start = start, stop = stop, churn = churn,
                                           promo = promo, x = x)
    if (churn == 1) break
    start <- stop
    promo <- as.integer(runif(1) < 0.4)
  }
}
panel <- do.call(rbind, rows)
write_csv_exact(panel, "coxph_panel")

fits <- list()
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(start, stop, churn) ~ promo + x, data = panel, ties = ties)
  s <- cox_summary(fit)
  s$call <- paste0("coxph(Surv(start, stop, churn) ~ promo + x, data = panel, ties = \"", ties, "\")")
  fits[[ties]] <- s
  fit <- coxph(Surv(start, stop, churn) ~ promo + x, data = panel, ties = ties, cluster = id)
  s <- cox_summary(fit)
  s$call <- paste0("coxph(Surv(start, stop, churn) ~ promo + x, data = panel, ties = \"", ties, "\", cluster = id)")
  fits[[paste0(ties, "__cluster")]] <- s
}

fit <- coxph(Surv(start, stop, churn) ~ promo + x, data = panel)
cc <- concordance(fit)
conc <- list(call = "concordance(coxph(Surv(start, stop, churn) ~ promo + x, data = panel))",
             concordance = unname(cc$concordance), std_err = sqrt(unname(cc$var)),
             n = cc$n, count = cc$count)

write_json_out(list(
  meta = meta("coxph_panel.R"),
  data = list(
    panel = "coxph_panel.csv: simulated here (set.seed(11)); id, start, stop, churn, promo (time-varying), x",
    n_rows = nrow(panel), n_customers = length(unique(panel$id)), n_events = sum(panel$churn),
    n_distinct_event_times = length(unique(panel$stop[panel$churn == 1]))),
  conventions = list(
    risk_sets = "counting process: a row is at risk at t when start < t <= stop",
    robust_se = "cluster = id: sandwich D'D with the dfbeta residuals summed within customer",
    concordance = "counting-process concordance: each event is compared with the rows at risk at its time (survival 3.5-3 concordancefit); count = concordant, discordant, tied.x, tied.y, tied.xy"),
  fits = fits,
  concordance = conc
), "coxph_panel")
