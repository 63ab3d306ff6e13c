# Parametric AFT models (survreg): Weibull, log-logistic, log-normal (+ exponential) on Telco and lung.
# Outputs: survreg.json, lung.csv
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

telco <- load_telco()
# survreg refuses time 0 for these log-time distributions; record R's message, then fit on tenure > 0.
refusal <- tryCatch({
  survreg(Surv(tenure, churn) ~ Contract, data = telco, dist = "weibull"); "no error"
}, error = function(e) conditionMessage(e))
telco_pos <- telco[telco$tenure > 0, ]
telco_pos$tenure_pos <- telco_pos$tenure

sr_summary <- function(fit) {
  v <- vcov(fit)
  out <- list(
    coef = coef(fit),
    scale = fit$scale,
    log_scale = if (length(fit$scale) == 1 && fit$dist != "exponential") log(fit$scale) else NULL,
    se = sqrt(diag(v)),
    vcov = unname(v),
    vcov_names = colnames(v),
    loglik_intercept_only = fit$loglik[1],
    loglik = fit$loglik[2],
    iter = fit$iter,
    n = nrow(fit$y),
    nevent = sum(fit$y[, 2]),
    dist = fit$dist
  )
  out
}

dists <- c("weibull", "loglogistic", "lognormal", "exponential")
telco_fits <- list()
for (d in dists) {
  fit <- survreg(Surv(tenure_pos, churn) ~ Contract, data = telco_pos, dist = d)
  s <- sr_summary(fit)
  s$call <- paste0("survreg(Surv(tenure_pos, churn) ~ Contract, data = telco[telco$tenure > 0, ], dist = \"", d, "\")")
  telco_fits[[d]] <- s
}

lung_csv <- cbind(row = seq_len(nrow(survival::lung)), survival::lung)
write_csv_exact(lung_csv, "lung")   # shared by coxzph.R, survdiff.R, concordance.R

lung_fits <- list()
for (d in dists) {
  fit <- survreg(Surv(time, status) ~ age + sex, data = survival::lung, dist = d)
  s <- sr_summary(fit)
  s$call <- paste0("survreg(Surv(time, status) ~ age + sex, data = lung, dist = \"", d, "\")")
  lung_fits[[d]] <- s
}

write_json_out(list(
  meta = meta("survreg.R"),
  data = list(
    telco = c(telco_meta(), list(
      rows_used = "tenure > 0 only: 7032 of 7043 rows (the 11 tenure-0 rows are dropped)",
      n_rows_used = nrow(telco_pos),
      R_refusal_with_tenure_0 = refusal,
      R_refusal_call = "survreg(Surv(tenure, churn) ~ Contract, data = telco, dist = \"weibull\")")),
    lung = "survival::lung, all 228 rows (status 1 = censored, 2 = dead; Surv treats 1/2 coding as 0/1); written to lung.csv (row = row number, NA = empty field) by this script"),
  conventions = list(
    model = "log(T) = X beta + scale * W, W standard extreme-value (weibull, exponential with scale = 1), logistic (loglogistic), normal (lognormal)",
    coef = "AFT coefficients on the log-time scale, incl. (Intercept)",
    log_scale = "log(fit$scale); the last row/column of vcov is 'Log(scale)' (absent for exponential)",
    se = "sqrt(diag(vcov(fit))), in the order of vcov_names (coefficients then Log(scale))",
    loglik = "fit$loglik[2]: log-likelihood of T itself (it includes the -log(t) Jacobian of each event), checked by hand for lung Weibull; loglik_intercept_only = fit$loglik[1]",
    weibull_hazard_parametrisation = "Weibull shape k = 1/scale, scale lambda = exp(X beta)"),
  telco = telco_fits,
  lung = lung_fits
), "survreg")
