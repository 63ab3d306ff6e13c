# Kaplan-Meier and log-rank on aggregated counts: frequency weights equal the expanded rows.
# Input: km_counts.csv, written by churnsurv (tests/events/test_km_counts.py, LOGS["months"]):
#   the engine counts of a seeded activity log, one row per distinct (plan, region, start, end,
#   churned) with its number of customers n and the exact tenure `duration` in months.
# Outputs: km_counts.json
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

agg <- utils::read.csv(file.path(REF_DIR, "km_counts.csv"), stringsAsFactors = FALSE)
expanded <- agg[rep(seq_len(nrow(agg)), agg$n), ]
TAU <- 12

fit_w <- survfit(Surv(duration, churned) ~ plan, data = agg, weights = n)
fit_x <- survfit(Surv(duration, churned) ~ plan, data = expanded)
parts <- c("time", "n.risk", "n.event", "n.censor", "surv", "std.err", "lower", "upper")
max_diff <- max(vapply(parts, function(p) {
  d <- abs(fit_w[[p]] - fit_x[[p]])
  max(c(0, d[is.finite(d)]))
}, 0))
same_na <- all(vapply(parts, function(p) identical(is.finite(fit_w[[p]]), is.finite(fit_x[[p]])), TRUE))

per_stratum <- list()
strata_names <- sub("^plan=", "", names(fit_w$strata))
ends <- cumsum(fit_w$strata)
starts <- c(1, head(ends, -1) + 1)
for (i in seq_along(strata_names)) {
  idx <- starts[i]:ends[i]
  per_stratum[[strata_names[i]]] <- list(
    time = I(fit_w$time[idx]), n_risk = I(fit_w$n.risk[idx]), n_event = I(fit_w$n.event[idx]),
    surv = I(fit_w$surv[idx]), std_err = I(fit_w$std.err[idx]),
    lower = I(fit_w$lower[idx]), upper = I(fit_w$upper[idx]))
}
tab <- summary(fit_w, rmean = TAU)$table
rmst <- list()
for (i in seq_along(strata_names)) {
  rmst[[strata_names[i]]] <- I(unname(c(tab[i, "rmean"], tab[i, "se(rmean)"])))
}

sd_out <- function(f) {
  list(groups = sub("^plan=", "", names(f$n)), n = I(as.numeric(f$n)), obs = I(as.numeric(f$obs)),
       exp = I(as.numeric(f$exp)), chisq = f$chisq)
}
sd0 <- survdiff(Surv(duration, churned) ~ plan, data = expanded)
sd_strata <- survdiff(Surv(duration, churned) ~ plan + strata(region), data = expanded)
sd1 <- survdiff(Surv(duration, churned) ~ plan, data = expanded, rho = 1)

write_json_out(list(
  meta = meta("km_counts.R"),
  data = list(file = "km_counts.csv", rows = nrow(agg), customers = sum(agg$n),
              note = "expanded = agg[rep(seq_len(nrow(agg)), agg$n), ]"),
  survfit_weighted_equals_expanded = (max_diff < 1e-12) && same_na,
  survfit_max_abs_difference = max_diff,
  survfit = per_stratum,
  survfit_call = "survfit(Surv(duration, churned) ~ plan, data = agg, weights = n), conf.type = 'log' (default); std_err is that of log S",
  rmst_tau = TAU,
  rmst = rmst,
  rmst_call = "summary(fit, rmean = 12)$table[, c('rmean', 'se(rmean)')]",
  survdiff = sd_out(sd0),
  survdiff_strata = sd_out(sd_strata),
  survdiff_rho1 = sd_out(sd1),
  survdiff_calls = c("survdiff(Surv(duration, churned) ~ plan, data = expanded)",
                     "survdiff(Surv(duration, churned) ~ plan + strata(region), data = expanded)",
                     "survdiff(Surv(duration, churned) ~ plan, data = expanded, rho = 1)")
), "km_counts")
