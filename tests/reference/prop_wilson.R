# Wilson score intervals of binomial proportions (churn rate per period), R's prop.test.
# prop.test(x, n, correct = FALSE)$conf.int is the Wilson (1927) score interval.
# Outputs: prop_wilson.json
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

# Telco tenure-basis monthly periods 1 and 2 (churned / customers at start, from
# churn_rates(telco, "month")), and edge cases: no churn, every customer churned, tiny n.
x <- c(380, 123, 0, 5, 1, 17)
n <- c(7032, 6419, 11, 5, 3, 4165)
ci95 <- suppressWarnings(t(mapply(function(xi, ni) prop.test(xi, ni, correct = FALSE, conf.level = 0.95)$conf.int, x, n)))  # small-n chi-square warnings only
ci90 <- suppressWarnings(t(mapply(function(xi, ni) prop.test(xi, ni, correct = FALSE, conf.level = 0.90)$conf.int, x, n)))  # small-n chi-square warnings only
write_json_out(list(
  meta = meta("prop_wilson.R", packages = c("stats")),
  call = "prop.test(x, n, correct = FALSE, conf.level = L)$conf.int",
  x = x, n = n,
  lower_95 = ci95[, 1], upper_95 = ci95[, 2],
  lower_90 = ci90[, 1], upper_90 = ci90[, 2]
), "prop_wilson")
