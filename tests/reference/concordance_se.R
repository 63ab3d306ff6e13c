# Harrell's concordance and its infinitesimal-jackknife standard error (survival::concordance's
# `var`) on data with everything at once: whole-month times (heavy ties, censorings tied with
# churns), tied scores, three strata, fractional case weights, and a counting-process version with
# late entry.
# Outputs: concordance_se.json, concordance_se_data.csv
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

set.seed(13)
n <- 400
d <- data.frame(row = seq_len(n), s = sample(c("a", "b", "c"), n, replace = TRUE),
                x = round(rnorm(n), 1))
d$time <- pmin(ceiling(rexp(n, 0.08 * exp(0.7 * d$x))), ceiling(runif(n, 1, 30)))
d$status <- as.integer(d$time == ceiling(rexp(n, 0.08 * exp(0.7 * d$x))) | runif(n) < 0.6)
d$w <- (seq_len(n) %% 5 + 1) / 2
d$entry <- ifelse(runif(n) < 0.3, floor(runif(n) * d$time), 0)
write_csv_exact(d[, c("row", "s", "x", "time", "status", "w", "entry")], "concordance_se_data")

cc_summary <- function(cc, call) {
  cnt <- cc$count
  if (is.matrix(cnt)) cnt <- colSums(cnt)
  list(call = call, concordance = unname(cc$concordance), std_err = sqrt(cc$var), var = cc$var,
       count = cnt, n = cc$n)
}
fits <- list(
  plain = cc_summary(concordance(Surv(time, status) ~ x, data = d, reverse = TRUE),
                     "concordance(Surv(time, status) ~ x, data = d, reverse = TRUE)"),
  strata = cc_summary(concordance(Surv(time, status) ~ x + strata(s), data = d, reverse = TRUE),
                      "concordance(Surv(time, status) ~ x + strata(s), data = d, reverse = TRUE)"),
  weighted = cc_summary(concordance(Surv(time, status) ~ x, data = d, weights = w, reverse = TRUE),
                        "concordance(Surv(time, status) ~ x, data = d, weights = w, reverse = TRUE)"),
  strata_weighted = cc_summary(
    concordance(Surv(time, status) ~ x + strata(s), data = d, weights = w, reverse = TRUE),
    "concordance(Surv(time, status) ~ x + strata(s), data = d, weights = w, reverse = TRUE)"),
  entry_strata_weighted = cc_summary(
    concordance(Surv(entry, time, status) ~ x + strata(s), data = d, weights = w, reverse = TRUE),
    "concordance(Surv(entry, time, status) ~ x + strata(s), data = d, weights = w, reverse = TRUE)")
)

write_json_out(list(
  meta = meta("concordance_se.R"),
  data = list(file = "concordance_se_data.csv", n = n,
              note = "set.seed(13); whole-month times, x rounded to 0.1 (tied scores), strata s, weights w = (row %% 5 + 1) / 2, entry = late entry for ~30% of rows"),
  conventions = list(std_err = "sqrt(fit$var): the infinitesimal-jackknife variance of concordancefit (survival >= 3.0), var = sum(dfbeta^2) / 4 with dfbeta_i = w_i ((c_i - d_i) / N - D (c_i + d_i + t_i) / N), c_i, d_i, t_i the (partner-weighted) concordant, discordant and score-tied pairs of row i, N = concordant + discordant + tied.x, D = Somers' d",
                     reverse = "reverse = TRUE: a higher x predicts a shorter time (a risk score)"),
  fits = fits
), "concordance_se")
