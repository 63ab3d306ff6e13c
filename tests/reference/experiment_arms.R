# Reference numbers for churnsurv.compare_arms (issue 15): RMST per arm and its difference at
# several horizons, log-rank and Fleming-Harrington tests, and the hazard ratio per tenure
# interval from coxph on survSplit data (a step time interaction of the arm).
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

# ---- data: two retention strategies with crossing curves (seeded) ----------------------------
# promotion: hazard 0.02 / month before month 6, 0.08 after; relationship: 0.045 throughout.
# Administrative censoring uniform on (12, 36) months; times rounded to 0.1 month (ties).
set.seed(15)
n <- 300
rpw <- function(n, rate1, rate2, brk) {
  u <- -log(runif(n))                       # unit exponential = cumulative hazard at T
  ifelse(u < rate1 * brk, u / rate1, brk + (u - rate1 * brk) / rate2)
}
t_promo <- rpw(n, 0.02, 0.08, 6)
t_rel <- rpw(n, 0.045, 0.045, 6)
cens <- runif(2 * n, 12, 36)
t_all <- c(t_promo, t_rel)
d <- data.frame(
  id = seq_len(2 * n),
  strategy = rep(c("promotion", "relationship"), each = n),
  time = pmax(round(pmin(t_all, cens), 1), 0.1),
  status = as.integer(t_all <= cens)
)
write_csv_exact(d, "experiment_arms_data")

taus <- c(6, 12, 18, 24)
fit <- survfit(Surv(time, status) ~ strategy, data = d)
rmst <- lapply(taus, function(tau) {
  tab <- summary(fit, rmean = tau)$table
  list(tau = tau,
       rmean = setNames(tab[, "rmean"], c("promotion", "relationship")),
       se = setNames(tab[, "se(rmean)"], c("promotion", "relationship")))
})

tests <- lapply(c(0, 1), function(r) {
  s <- survdiff(Surv(time, status) ~ strategy, data = d, rho = r)
  list(rho = r, chisq = s$chisq, p = s$pvalue, obs = unname(s$obs), exp = unname(s$exp))
})

# ---- hazard ratio per tenure interval (promotion vs relationship) ---------------------------
cuts <- c(6, 12)
sp <- survSplit(Surv(time, status) ~ ., data = d, cut = cuts, episode = "period", start = "tstart")
promo <- as.integer(sp$strategy == "promotion")
for (k in 1:3) sp[[paste0("hr_", k)]] <- promo * as.integer(sp$period == k)
pw <- coxph(Surv(tstart, time, status) ~ hr_1 + hr_2 + hr_3, data = sp, ties = "efron")
pw_breslow <- coxph(Surv(tstart, time, status) ~ hr_1 + hr_2 + hr_3, data = sp, ties = "breslow")
ph <- coxph(Surv(time, status) ~ strategy, data = d, ties = "efron")
# the same fit written as R's documented idiom: strata(period) interaction
pw_idiom <- coxph(Surv(tstart, time, status) ~ strategy:strata(period), data = sp, ties = "efron")

write_json_out(list(
  meta = meta("experiment_arms.R"),
  conventions = paste(
    "rmean / se: summary(survfit(Surv(time, status) ~ strategy), rmean = tau)$table columns",
    "rmean and se(rmean) (R's print.survfit RMST and its SE); tests: survdiff rho = 0 and 1;",
    "piecewise: survSplit(cut = c(6, 12)) then coxph(Surv(tstart, time, status) ~ hr_1 + hr_2 +",
    "hr_3) with hr_k = (strategy == promotion) * (period == k): log hazard ratio of promotion",
    "vs relationship in (0, 6], (6, 12], (12, Inf); ph: single coxph(~ strategy), coefficient of",
    "strategyrelationship (relationship vs promotion)."),
  n = nrow(d), events = sum(d$status),
  rmst = rmst,
  tests = tests,
  piecewise = list(cuts = cuts, coef = coef(pw), se = sqrt(diag(vcov(pw))),
                   loglik = pw$loglik[2], n_rows = nrow(sp)),
  piecewise_breslow = list(coef = coef(pw_breslow), se = sqrt(diag(vcov(pw_breslow)))),
  piecewise_idiom_coef = unname(coef(pw_idiom)),
  ph = list(coef = unname(coef(ph)), se = unname(sqrt(diag(vcov(ph)))))
), "experiment_arms")
