# Integrated Brier score (riskRegression::Score, summary = "ibs") on a time grid, Score's answers
# at edge-case horizons, and the integrated calibration index (ICI, E50, E90; Austin, Harrell &
# van Klaveren 2020, Stat Med 39:2714) of the Cox predictions of riskregression_score.R.
# Same data, split and fits as riskregression_score.R.
# Outputs: riskregression_ibs_calibration.json, riskregression_sim_pred_grid.csv
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))
suppressPackageStartupMessages({library(riskRegression); library(prodlim); library(Hmisc)})

sim <- utils::read.csv(file.path(REF_DIR, "riskregression_sim_data.csv"))
sim_tr <- sim[sim$train == 1, ]
sim_te <- sim[sim$train == 0, ]
fit_sim <- coxph(Surv(time, status) ~ x1 + x2, data = sim_tr, x = TRUE, y = TRUE)
grid <- 1:20
sc <- Score(list(cox = fit_sim), formula = Surv(time, status) ~ 1, data = sim_te, times = grid,
            metrics = "brier", cens.model = "km", null.model = TRUE, summary = c("ibs", "ipa"))
b <- as.data.frame(sc$Brier$score)
risk_grid <- predictRisk(fit_sim, newdata = sim_te, times = grid)
pg <- data.frame(id = sim_te$id, risk_grid)
names(pg) <- c("id", paste0("risk_t", grid))
write_csv_exact(pg, "riskregression_sim_pred_grid")

telco <- load_telco()
telco$row <- seq_len(nrow(telco)); telco$time <- telco$tenure; telco$status <- telco$churn
tel_tr <- telco[telco$row %% 2 == 1, ]
tel_te <- telco[telco$row %% 2 == 0, ]
fit_tel <- coxph(Surv(time, status) ~ Contract + MonthlyCharges, data = tel_tr, x = TRUE, y = TRUE)
tt <- c(6, 12, 24, 48)
sct <- Score(list(cox = fit_tel), formula = Surv(time, status) ~ 1, data = tel_te, times = tt,
             metrics = "brier", cens.model = "km", null.model = TRUE, summary = c("ibs", "ipa"))
bt <- as.data.frame(sct$Brier$score)

# ---- edge cases: what Score answers (recorded, not imitated)
edge <- function(times) {
  out <- tryCatch({
    s <- Score(list(cox = fit_sim), formula = Surv(time, status) ~ 1, data = sim_te, times = times,
               metrics = c("auc", "brier"), cens.model = "km", null.model = FALSE)
    list(auc = as.data.frame(s$AUC$score)$AUC, brier = as.data.frame(s$Brier$score)$Brier)
  }, error = function(e) list(error = conditionMessage(e)))
  c(list(times = times), out)
}
last <- max(sim_te$time)
edge_cases <- list(
  last_test_time = last, last_test_time_status = sim_te$status[which.max(sim_te$time)],
  first_test_event_time = min(sim_te$time[sim_te$status == 1]),
  beyond_follow_up = edge(c(5, 24)),
  before_first_event = edge(c(0.005, 5)))

# ---- ICI (Austin et al. 2020, section 2.2 and appendix code): calibration Cox model of the
# outcome on a restricted cubic spline (3 knots, Hmisc::rcspline.eval defaults) of
# cll = log(-log(1 - p)); observed_i = 1 - S_cal(t | cll_i); ICI = mean |p - observed|,
# E50 = median, E90 = quantile(., 0.9) (type 7).
ici <- function(test, risk, t) {
  cll <- log(-log(1 - risk))
  basis <- rcspline.eval(cll, nk = 3, inclx = TRUE)
  knots <- attr(basis, "knots")
  d <- data.frame(time = test$time, status = test$status, b1 = basis[, 1], b2 = basis[, 2])
  cal <- coxph(Surv(time, status) ~ b1 + b2, data = d)   # ties = efron
  sf <- survfit(cal, newdata = d)
  obs <- 1 - summary(sf, times = t, extend = TRUE)$surv[1, ]
  err <- abs(risk - obs)
  list(t = t, knots = unname(knots), coef = unname(coef(cal)), ICI = mean(err),
       E50 = unname(median(err)), E90 = unname(quantile(err, 0.9)), Emax = max(err),
       observed_head = obs[1:5])
}
pred_sim <- predictRisk(fit_sim, newdata = sim_te, times = c(2, 5, 10))
pred_tel <- predictRisk(fit_tel, newdata = tel_te, times = tt)
cal_sim <- lapply(1:3, function(k) ici(sim_te, pred_sim[, k], c(2, 5, 10)[k]))
cal_tel <- lapply(1:4, function(k) ici(tel_te, pred_tel[, k], tt[k]))

write_json_out(list(
  meta = meta("riskregression_ibs_calibration.R", c("survival", "riskRegression", "prodlim", "Hmisc")),
  conventions = list(
    ibs = "Score(..., summary = c('ibs', 'ipa')): IBS(t_k) = (1/t_k) sum_{j < k} Brier(t_j) (t_{j+1} - t_j) over the grid c(0, times) with Brier(0) = 0 (riskRegression:::computePerformance, Dint)",
    sim_grid = "times 1:20 on the simulated test half; predictions in riskregression_sim_pred_grid.csv",
    telco = "times 6, 12, 24, 48 on the Telco test half; predictions in riskregression_telco_pred.csv",
    ici = "Austin et al. 2020: cll = log(-log(1 - p)); coxph(Surv(time, status) ~ rcs(cll, 3 knots)) on the test data (Hmisc::rcspline.eval(cll, nk = 3, inclx = TRUE), Efron ties); observed = 1 - survfit(cal, newdata)(t); ICI = mean |p - observed|, E50 = median, E90 = quantile(type 7, 0.9), Emax = max"),
  sim = list(times = b$times[b$model == "cox"],
             brier_cox = b$Brier[b$model == "cox"], ibs_cox = b$IBS[b$model == "cox"],
             brier_null = b$Brier[b$model == "Null model"], ibs_null = b$IBS[b$model == "Null model"]),
  telco = list(times = bt$times[bt$model == "cox"],
               brier_cox = bt$Brier[bt$model == "cox"], ibs_cox = bt$IBS[bt$model == "cox"],
               brier_null = bt$Brier[bt$model == "Null model"], ibs_null = bt$IBS[bt$model == "Null model"]),
  edge_cases_sim = edge_cases,
  calibration = list(sim = cal_sim, telco = cal_tel)
), "riskregression_ibs_calibration")
