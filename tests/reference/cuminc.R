# Competing risks: cmprsk::cuminc (Aalen-Johansen CIF + Gray's test), cmprsk::crr (Fine-Gray),
# and survival::finegray + weighted coxph (the same model through case weights).
# Outputs: cuminc.json, cuminc_data.csv
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))
suppressPackageStartupMessages(library(cmprsk))

# ---- deterministic simulated data (also written to cuminc_data.csv)
set.seed(1)
n <- 300
group <- factor(sample(c("A", "B"), n, replace = TRUE), levels = c("A", "B"))
x <- round(rnorm(n), 3)
rate1 <- 0.08 * exp(0.5 * (group == "B") + 0.4 * x)
rate2 <- 0.05 * exp(-0.4 * (group == "B"))
t1 <- rexp(n, rate1)
t2 <- rexp(n, rate2)
cens <- runif(n, 1, 20)
tt <- pmin(t1, t2, cens)
fstatus <- ifelse(tt == cens, 0L, ifelse(tt == t1, 1L, 2L))   # 0 = censored, 1 / 2 = causes
ftime <- pmax(round(tt, 1), 0.1)                               # 1 decimal -> many ties; no zero times
dat <- data.frame(id = seq_len(n), ftime = ftime, fstatus = fstatus, group = group, x = x)
write_csv_exact(dat, "cuminc_data")

# ---- cuminc
tp <- c(1, 2, 5, 10)
ci <- cuminc(dat$ftime, dat$fstatus, dat$group, cencode = 0)
tpv <- timepoints(ci, tp)
curves <- list()
for (nm in names(ci)[names(ci) != "Tests"]) {
  curves[[nm]] <- list(time = ci[[nm]]$time, est = ci[[nm]]$est, var = ci[[nm]]$var)
}
cuminc_res <- list(
  call = "cuminc(ftime, fstatus, group, cencode = 0)  # rho = 0",
  timepoints_call = "timepoints(ci, c(1, 2, 5, 10))",
  times = tp,
  curve_names = rownames(tpv$est),
  est = tpv$est,
  var = tpv$var,
  gray_test = list(cause = rownames(ci$Tests), stat = unname(ci$Tests[, "stat"]),
                   p = unname(ci$Tests[, "pv"]), df = unname(ci$Tests[, "df"])),
  curves = curves)

# ---- crr (Fine-Gray, cmprsk)
cov1 <- model.matrix(~ group + x, data = dat)[, -1]
crr_res <- list()
for (fc in c(1, 2)) {
  f <- crr(dat$ftime, dat$fstatus, cov1 = cov1, failcode = fc, cencode = 0)
  crr_res[[paste0("failcode", fc)]] <- list(
    call = paste0("crr(ftime, fstatus, cov1 = model.matrix(~ group + x)[, -1], failcode = ", fc, ", cencode = 0)"),
    coef = f$coef, se = sqrt(diag(f$var)), vcov = f$var,
    naive_se = sqrt(diag(f$invinf)),
    loglik = f$loglik, loglik_null = f$loglik.null, converged = f$converged, n = f$n)
  names(crr_res[[paste0("failcode", fc)]]$se) <- names(f$coef)
  names(crr_res[[paste0("failcode", fc)]]$naive_se) <- names(f$coef)
}

# ---- finegray + weighted coxph
dat$fstat_f <- factor(dat$fstatus, levels = 0:2, labels = c("censor", "cause1", "cause2"))
fg_res <- list()
for (cause in c("cause1", "cause2")) {
  fg <- finegray(Surv(ftime, fstat_f) ~ ., data = dat[, c("id", "ftime", "fstat_f", "group", "x")], etype = cause)
  for (ties in c("breslow", "efron")) {
    fit <- coxph(Surv(fgstart, fgstop, fgstatus) ~ group + x, data = fg, weights = fgwt, ties = ties)
    fit_r <- coxph(Surv(fgstart, fgstop, fgstatus) ~ group + x, data = fg, weights = fgwt, ties = ties, cluster = id)
    fg_res[[paste0(cause, "__", ties)]] <- list(
      call = paste0("fg <- finegray(Surv(ftime, fstat_f) ~ ., data = dat, etype = \"", cause,
                    "\"); coxph(Surv(fgstart, fgstop, fgstatus) ~ group + x, data = fg, weights = fgwt, ties = \"", ties,
                    "\") [and the same with cluster = id for robust_se]"),
      coef = coef(fit), se = sqrt(diag(vcov(fit))), naive_se = sqrt(diag(fit$naive.var)),
      robust_se = sqrt(diag(vcov(fit_r))),
      loglik = fit$loglik[2], n_expanded_rows = nrow(fg),
      max_abs_coef_diff_vs_crr = max(abs(coef(fit) - crr_res[[paste0("failcode", sub("cause", "", cause))]]$coef)))
  }
}

write_json_out(list(
  meta = meta("cuminc.R", c("survival", "cmprsk")),
  data = list(
    file = "cuminc_data.csv (id, ftime, fstatus, group, x)",
    generation = "set.seed(1); n = 300; group = sample(c('A','B'), n, TRUE); x = round(rnorm(n), 3); t1 ~ Exp(0.08 exp(0.5 [B] + 0.4 x)), t2 ~ Exp(0.05 exp(-0.4 [B])), censoring ~ U(1, 20); fstatus = 0 censored / 1 / 2; ftime = max(round(min time, 1), 0.1)",
    counts = as.list(table(factor(dat$fstatus, levels = 0:2, labels = c("censored", "cause1", "cause2")))),
    n_distinct_times = length(unique(dat$ftime))),
  conventions = list(
    cuminc_curve_names = "'<group> <cause>', e.g. 'A 1'",
    est_var = "timepoints(): CIF estimate and its variance (cmprsk's asymptotic variance, Gray 1988 / Aalen) at each time, taking the last jump at or before it; est/var matrices have rows = curve_names and columns = times",
    curves = "full step curves from cuminc: time, est, var (cmprsk doubles every jump time to draw steps)",
    gray_test = "Gray's K-sample test, rho = 0; one row per cause",
    crr = "Fine-Gray subdistribution hazard via cmprsk::crr; se = sqrt(diag(f$var)) (sandwich, the default in crr); naive_se = sqrt(diag(f$invinf)); censoring distribution = KM of the censorings over the whole sample (no cengroup); ties: crr uses Breslow-type handling",
    finegray = "survival::finegray expands the data with time-dependent censoring weights fgwt; the weighted coxph gives the Fine-Gray coefficients. se = sqrt(diag(vcov(fit))): with non-integer weights coxph turns robust = TRUE on by itself, so this is a sandwich with every expanded ROW its own cluster (fit$naive.var exists), NOT the model-based variance; naive_se = sqrt(diag(fit$naive.var)) = model-based (inverse weighted information); robust_se = cluster(id) sandwich (one cluster per subject), which ignores the variability of the estimated censoring weights, so it is close to but not equal to crr's se. With these tied times even ties = 'breslow' does not reproduce crr's coefficients exactly (max_abs_coef_diff_vs_crr, ~2e-4 for cause 1): the difference comes from the tied times (checked by hand: with the times jittered to break every tie, finegray + coxph(ties = 'breslow') and crr agree to ~1e-15)"),
  cuminc = cuminc_res,
  crr = crr_res,
  finegray_coxph = fg_res
), "cuminc")
