# The bootstrap distribution of a total: B = 100,000 resamples of n = 10,000 skewed values
# (lognormal, sdlog 1.5), each the sum of n draws with replacement (base R's sample.int), and
# the 2.5% / 97.5% quantiles of the totals (quantile type 7 = numpy's default "linear").
# The 100,000 resamples are also cut into 100 consecutive runs of 1,000 (the report's number of
# resamples), whose quantiles show how far a B = 1,000 run typically is from the B = 100,000
# one. Reference for the saddlepoint quantiles of churnsurv/report/resampling.py.
# Outputs: bootstrap_total.json
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

set.seed(20261202)
n <- 10000L
x <- rlnorm(n, meanlog = 0, sdlog = 1.5)
B <- 100000L
chunk <- 1000L
totals <- numeric(0)
for (b in seq_len(B / chunk)) {
  idx <- sample.int(n, n * chunk, replace = TRUE)
  totals <- c(totals, colSums(matrix(x[idx], nrow = n)))
}
probs <- c(0.025, 0.975)
runs <- t(sapply(seq_len(B / chunk), function(r) {
  quantile(totals[((r - 1) * chunk + 1):(r * chunk)], probs, type = 7, names = FALSE)
}))
write_json_out(list(
  meta = meta("bootstrap_total.R", packages = c("stats")),
  call = "set.seed(20261202); x <- rlnorm(10000, 0, 1.5); totals of sample.int(n, n, TRUE)",
  conventions = paste(
    "x: the values; total: sum(x); q_100000: quantile(totals, c(0.025, 0.975), type = 7) of",
    "B = 100,000 resamples; q_runs_1000: the same quantiles of each of the 100 consecutive",
    "runs of 1,000 resamples (rows); sd_total: sd of the 100,000 totals"
  ),
  probs = probs,
  x = x,
  total = sum(x),
  q_100000 = quantile(totals, probs, type = 7, names = FALSE),
  q_runs_1000 = runs,
  sd_total = sd(totals)
), "bootstrap_total")
