# Log-rank (rho = 0) and Peto-Peto / Harrington-Fleming G(rho) (rho = 1) tests.
# Outputs: survdiff.json
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

sd_summary <- function(f, call) {
  list(call = call,
       groups = names(f$n),
       n = as.numeric(f$n),
       obs = f$obs,
       exp = f$exp,
       var = f$var,
       chisq = f$chisq,
       df = length(f$n) - 1,
       p = f$pvalue,
       log_p = pchisq(f$chisq, length(f$n) - 1, lower.tail = FALSE, log.p = TRUE))
}

telco <- load_telco()
res_telco <- list()
for (rho in c(0, 1)) {
  f <- survdiff(Surv(tenure, churn) ~ Contract, data = telco, rho = rho)
  res_telco[[paste0("rho", rho)]] <- sd_summary(f, paste0("survdiff(Surv(tenure, churn) ~ Contract, data = telco, rho = ", rho, ")"))
}

res_lung <- list()
for (rho in c(0, 1)) {
  f <- survdiff(Surv(time, status) ~ sex, data = survival::lung, rho = rho)
  res_lung[[paste0("rho", rho)]] <- sd_summary(f, paste0("survdiff(Surv(time, status) ~ sex, data = lung, rho = ", rho, ")"))
}

write_json_out(list(
  meta = meta("survdiff.R"),
  data = list(telco = c(telco_meta(), list(note = "all 7043 rows; survdiff accepts tenure 0")),
              lung = "lung.csv (written by survreg.R), all 228 rows"),
  conventions = list(
    weights = "G(rho): each event time t gets weight S(t-)^rho, S = pooled Kaplan-Meier of all groups (left-continuous); rho = 0 is the log-rank test, rho = 1 the Peto-Peto modification",
    obs_exp = "fit$obs and fit$exp are the rho-weighted observed and expected counts per group (sums of S(t-)^rho * d_gt and S(t-)^rho * d_t * n_gt / n_t); for rho = 0 they are the plain counts",
    var = "fit$var: variance matrix of O - E (hypergeometric, weights squared)",
    chisq = "(O-E)' V^- (O-E), df = number of groups - 1, p = fit$pvalue = pchisq(chisq, df, lower.tail = FALSE) (underflows to 0 on Telco); log_p = the same with log.p = TRUE",
    groups = "order of groups: factor level order (Contract: Month-to-month, One year, Two year; lung sex: 1 = male, 2 = female)"),
  telco = res_telco,
  lung = res_lung
), "survdiff")
