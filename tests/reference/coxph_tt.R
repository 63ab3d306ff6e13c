# Reference numbers for churnsurv.time_varying_hazard_ratio (issue 15): a continuous time
# interaction of the arm, R's coxph(Surv(time, status) ~ arm + tt(arm), tt = ...).
# Data: the seeded two-arm experiment of experiment_arms.R (crossing curves, ties at 0.1 month).
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

d <- read.csv(file.path(REF_DIR, "experiment_arms_data.csv"))
d$promo <- as.integer(d$strategy == "promotion")
fit_tt <- function(tt_fun, ties) {
  coxph(Surv(time, status) ~ promo + tt(promo), data = d, ties = ties, tt = tt_fun)
}
out <- list()
for (ties in c("efron", "breslow")) {
  lg <- fit_tt(function(x, t, ...) x * log(t), ties)
  ln <- fit_tt(function(x, t, ...) x * t, ties)
  out[[ties]] <- list(
    log = list(coef = unname(coef(lg)), vcov = unname(as.vector(vcov(lg))),
               loglik = lg$loglik[2]),
    linear = list(coef = unname(coef(ln)), vcov = unname(as.vector(vcov(ln))),
                  loglik = ln$loglik[2])
  )
}
# with entry times: left-truncate every customer at 1 month (those churning before are removed)
dt <- subset(d, time > 1)
dt$entry <- 1
et <- coxph(Surv(entry, time, status) ~ promo + tt(promo), data = dt, ties = "efron",
            tt = function(x, t, ...) x * log(t))

write_json_out(list(
  meta = meta("coxph_tt.R"),
  conventions = paste(
    "coxph(Surv(time, status) ~ promo + tt(promo), tt = function(x, t, ...) x * g(t)) with",
    "promo = (strategy == 'promotion'); g = log ('log') or identity ('linear'); coef =",
    "(promo, tt(promo)); vcov column-major 2x2; entry: Surv(1, time, status) on time > 1, g = log."),
  efron = out$efron, breslow = out$breslow,
  entry = list(coef = unname(coef(et)), vcov = unname(as.vector(vcov(et))), n = nrow(dt))
), "coxph_tt")
