# Win-back references (issue 15): time to return per tier (KM, Cox) and repeated churn episodes
# as an Andersen-Gill counting-process Cox model with cluster-robust standard errors.
# Data written by tests/reference/winback_data.py (churnsurv.simulate_hotel(n=1500, rng=15)).
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

ret <- utils::read.csv(file.path(REF_DIR, "winback_returns.csv"), stringsAsFactors = FALSE)
ret$returned <- as.integer(ret$returned == "True")
ret$tier <- factor(ret$tier, levels = c("high", "standard"))
ep <- utils::read.csv(file.path(REF_DIR, "winback_episodes.csv"), stringsAsFactors = FALSE)
ep$churned <- as.integer(ep$churned == "True")
ep$tier <- factor(ep$tier, levels = c("high", "standard"))
ep$strategy <- factor(ep$strategy, levels = c("promotion", "relationship"))

km <- survfit(Surv(months_since_churn, returned) ~ tier, data = ret)
s <- summary(km, times = c(3, 6, 12))
ret_cox <- coxph(Surv(months_since_churn, returned) ~ tier, data = ret, ties = "efron")
ag <- coxph(Surv(start, stop, churned) ~ tier + strategy, data = ep, cluster = guest_id,
            ties = "efron")

write_json_out(list(
  meta = meta("winback.R"),
  conventions = paste(
    "km: summary(survfit(Surv(months_since_churn, returned) ~ tier), times = c(3, 6, 12));",
    "p_return = 1 - surv, lower/upper = R's log-type band of S; return_cox: coxph(~ tier),",
    "efron; ag: coxph(Surv(start, stop, churned) ~ tier + strategy, cluster = guest_id),",
    "efron, se = robust (sandwich summed over guests), naive_se = model-based."),
  n_returns = nrow(ret), n_episodes = nrow(ep),
  km = list(strata = as.character(s$strata), time = s$time, surv = s$surv,
            lower = s$lower, upper = s$upper, n_risk = s$n.risk),
  return_cox = cox_summary(ret_cox),
  ag = cox_summary(ag)
), "winback")
