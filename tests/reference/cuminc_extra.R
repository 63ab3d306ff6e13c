# Competing risks, beyond cuminc.R: three segments, three causes, strata and rho = 1 for Gray's
# test; Aalen-Johansen with left truncation (survfit); Fine-Gray predicted cumulative incidence
# (finegray + coxph + survfit, and crr + predict.crr).
# Outputs: cuminc_extra.json, cuminc_extra_data.csv
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))
suppressPackageStartupMessages(library(cmprsk))

# ---- deterministic simulated data (also written to cuminc_extra_data.csv)
set.seed(14)
n <- 400
seg <- factor(sample(c("a", "b", "c"), n, replace = TRUE), levels = c("a", "b", "c"))
strat <- factor(sample(c("s1", "s2"), n, replace = TRUE), levels = c("s1", "s2"))
x <- round(rnorm(n), 2)
r1 <- 0.06 * exp(0.5 * (seg == "b") + 0.9 * (seg == "c") + 0.3 * x)
r2 <- 0.04 * exp(-0.5 * (seg == "c") + 0.3 * (strat == "s2"))
r3 <- 0.03 * exp(0.2 * x)
t1 <- rexp(n, r1); t2 <- rexp(n, r2); t3 <- rexp(n, r3)
cens <- runif(n, 2, 25)
tt <- pmin(t1, t2, t3, cens)
fstatus <- ifelse(tt == cens, 0L, ifelse(tt == t1, 1L, ifelse(tt == t2, 2L, 3L)))
ftime <- pmax(ceiling(tt), 1)                       # whole months: heavy ties
entry <- ifelse(runif(n) < 0.3, floor(runif(n, 0, 1) * (ftime - 1)), 0)  # some late entries < ftime
dat <- data.frame(id = seq_len(n), ftime = ftime, fstatus = fstatus, seg = seg, strat = strat,
                  x = x, entry = entry)
write_csv_exact(dat, "cuminc_extra_data")

tp <- c(3, 6, 12, 18)
out_cuminc <- function(ci) {
  tpv <- timepoints(ci, tp)
  list(curve_names = rownames(tpv$est), est = tpv$est, var = tpv$var)
}
gray <- function(ci) list(cause = rownames(ci$Tests), stat = unname(ci$Tests[, "stat"]),
                          p = unname(ci$Tests[, "pv"]), df = unname(ci$Tests[, "df"]))

ci0 <- cuminc(dat$ftime, dat$fstatus, dat$seg, cencode = 0)
ci1 <- cuminc(dat$ftime, dat$fstatus, dat$seg, rho = 1, cencode = 0)
cis <- cuminc(dat$ftime, dat$fstatus, dat$seg, strata = dat$strat, cencode = 0)
cis1 <- cuminc(dat$ftime, dat$fstatus, dat$seg, strata = dat$strat, rho = 1, cencode = 0)
ci_all <- cuminc(dat$ftime, dat$fstatus, cencode = 0)

# ---- Aalen-Johansen with entry times (survfit, counting-process risk sets (entry, exit])
dat$state <- factor(dat$fstatus, levels = 0:3, labels = c("censor", "c1", "c2", "c3"))
aj_trunc <- survfit(Surv(entry, ftime, state) ~ 1, data = dat, id = id)
s_tr <- summary(aj_trunc, times = tp)
aj_plain <- survfit(Surv(ftime, state) ~ 1, data = dat)
s_pl <- summary(aj_plain, times = tp)

# ---- Fine-Gray predictions for cause 1, covariates seg + x
new <- data.frame(seg = factor(c("a", "b", "c"), levels = c("a", "b", "c")), x = c(0, 1, -0.5))
fg <- finegray(Surv(ftime, state) ~ ., data = dat[, c("ftime", "state", "seg", "x", "id")],
               etype = "c1")
fgfit <- coxph(Surv(fgstart, fgstop, fgstatus) ~ seg + x, data = fg, weights = fgwt,
               ties = "breslow")
fgfit_r <- coxph(Surv(fgstart, fgstop, fgstatus) ~ seg + x, data = fg, weights = fgwt,
                 ties = "breslow", cluster = id)
sf <- survfit(fgfit, newdata = new)
ssf <- summary(sf, times = tp, extend = TRUE)
cov1 <- model.matrix(~ seg + x, data = dat)[, -1]
crr1 <- crr(dat$ftime, dat$fstatus, cov1 = cov1, failcode = 1, cencode = 0)
pc <- predict(crr1, cov1 = model.matrix(~ seg + x, data = new)[, -1])
pc_at <- t(sapply(tp, function(t) { i <- max(which(pc[, 1] <= t)); pc[i, -1] }))

# ---- cause-specific Cox models (riskRegression::CSC) and their predicted cumulative incidence
suppressPackageStartupMessages(library(riskRegression))
csc <- CSC(Hist(ftime, fstatus) ~ seg + x, data = dat, cause = 1)
csc_pred <- predictRisk(csc, newdata = new, times = tp, cause = 1)
csc_coef <- lapply(csc$models, coef)
csc_b <- CSC(Hist(ftime, fstatus) ~ seg + x, data = dat, cause = 1, ties = "breslow")
csc_pred_b <- predictRisk(csc_b, newdata = new, times = tp, cause = 1)

write_json_out(list(
  meta = meta("cuminc_extra.R", c("survival", "cmprsk")),
  data = list(
    file = "cuminc_extra_data.csv (id, ftime, fstatus, seg, strat, x, entry)",
    generation = "set.seed(14); n = 400; seg in a/b/c, strat in s1/s2, x = round(rnorm, 2); three exponential causes, censoring U(2, 25); ftime = max(ceiling(min time), 1) (whole months); entry: 30% of rows get floor(U(0,1) * (ftime - 1)), else 0",
    counts = as.list(table(dat$state)),
    n_distinct_times = length(unique(dat$ftime))),
  conventions = list(
    cuminc = "cuminc(ftime, fstatus, seg, [strata = strat], [rho = 1], cencode = 0); timepoints at times; the estimates ignore entry (cmprsk has no left truncation)",
    aj = "survfit(Surv(entry, ftime, state) ~ 1) and survfit(Surv(ftime, state) ~ 1): summary(fit, times)$pstate, columns = states in order (s0) = still in the initial state, c1, c2, c3; std_err = summary(...)$std.err (infinitesimal jackknife)",
    finegray = "finegray(Surv(ftime, state) ~ ., data = dat[, c('ftime', 'state', 'seg', 'x', 'id')], etype = 'c1') + coxph(Surv(fgstart, fgstop, fgstatus) ~ seg + x, weights = fgwt, ties = 'breslow'); se = sqrt(diag(vcov(fit))) is coxph's own sandwich over rows (robust is switched on by the non-integer weights), naive_se the model-based one, robust_se the sandwich with cluster = id; predicted CIF = 1 - summary(survfit(fit, newdata), times, extend = TRUE)$surv (rows = times, columns = newdata rows)",
    crr = "crr(ftime, fstatus, cov1 = model.matrix(~ seg + x)[, -1], failcode = 1); predict.crr at the same newdata, the last jump at or before each time",
    csc = "riskRegression::CSC(Hist(ftime, fstatus) ~ seg + x, cause = 1) (one coxph per cause, Efron ties; and ties = 'breslow'); predictRisk(csc, newdata, times, cause = 1): rows = newdata, columns = times (surv.type = 'hazard': S = exp(-sum of cause-specific cumulative hazards))"),
  times = tp,
  newdata = new,
  cuminc = out_cuminc(ci0),
  cuminc_all = out_cuminc(ci_all),
  gray_rho0 = gray(ci0),
  gray_rho1 = gray(ci1),
  gray_strata_rho0 = gray(cis),
  gray_strata_rho1 = gray(cis1),
  aj_truncated = list(states = aj_trunc$states, pstate = s_tr$pstate, std_err = s_tr$std.err,
                      n_risk = s_tr$n.risk[, 1]),
  aj_plain = list(states = aj_plain$states, pstate = s_pl$pstate, std_err = s_pl$std.err),
  finegray = list(coef = coef(fgfit), se = sqrt(diag(vcov(fgfit))),
                  naive_se = sqrt(diag(fgfit$naive.var)),
                  robust_se = sqrt(diag(vcov(fgfit_r))), loglik = fgfit$loglik[2],
                  n_expanded_rows = nrow(fg), predicted_cif = 1 - ssf$surv),
  crr = list(coef = crr1$coef, se = sqrt(diag(crr1$var)), predicted_cif = pc_at),
  csc = list(coef = csc_coef, predicted_cif_efron = csc_pred, predicted_cif_breslow = csc_pred_b,
             riskRegression = as.character(utils::packageVersion("riskRegression")))
), "cuminc_extra")
