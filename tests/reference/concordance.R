# Harrell's / Uno's concordance from survival::concordance.
# Outputs: concordance.json, concordance_lung_lp.csv
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

conc_summary <- function(cc, call) {
  cnt <- cc$count
  out <- list(call = call, concordance = unname(cc$concordance), std_err = sqrt(cc$var),
              std_err_cvar = sqrt(cc$cvar), n = cc$n)
  if (is.matrix(cnt)) {
    out$count <- colSums(cnt)
    out$count_by_stratum <- list(columns = colnames(cnt), values = unname(cnt))
  } else {
    out$count <- cnt
  }
  out
}

lung <- survival::lung
lung$row <- seq_len(nrow(lung))
lw <- lung_weighted()

fit_plain <- coxph(Surv(time, status) ~ age + sex, data = lung)
fit_strata <- coxph(Surv(time, status) ~ age + sex + strata(ph.ecog), data = lung)
fit_w <- coxph(Surv(time, status == 2) ~ age + sex, data = lw, weights = w)

cox_res <- list(
  plain = c(conc_summary(concordance(fit_plain), "concordance(coxph(Surv(time, status) ~ age + sex, data = lung))"),
            list(coef = coef(fit_plain))),
  strata = c(conc_summary(concordance(fit_strata), "concordance(coxph(Surv(time, status) ~ age + sex + strata(ph.ecog), data = lung))"),
             list(coef = coef(fit_strata),
                  strata = levels(strata(lung$ph.ecog[!is.na(lung$ph.ecog)])),
                  note = "227 rows (ph.ecog NA dropped); pairs are only compared within a stratum; count = column sums of count_by_stratum (rows = strata ph.ecog 0, 1, 2, 3)")),
  weighted = c(conc_summary(concordance(fit_w), "concordance(coxph(Surv(time, status == 2) ~ age + sex, data = lung_weighted, weights = w))"),
               list(coef = coef(fit_w), note = "counts are weighted: a pair (i, j) counts w_i * w_j"))
)

# Formula interface on the plain fit's linear predictor (written to concordance_lung_lp.csv).
lung$lp <- unname(predict(fit_plain, type = "lp"))
write_csv_exact(lung[, c("row", "time", "status", "age", "sex", "ph.ecog", "lp")], "concordance_lung_lp")
formula_res <- list()
for (tw in c("n", "S", "S/G", "n/G2", "I")) {
  for (ym in list(NULL, 365)) {
    cc <- if (is.null(ym)) concordance(Surv(time, status) ~ lp, data = lung, reverse = TRUE, timewt = tw)
          else concordance(Surv(time, status) ~ lp, data = lung, reverse = TRUE, timewt = tw, ymax = ym)
    key <- paste0("timewt=", tw, if (is.null(ym)) "" else paste0(",ymax=", ym))
    formula_res[[key]] <- conc_summary(cc, paste0("concordance(Surv(time, status) ~ lp, data = lung, reverse = TRUE, timewt = \"",
                                                  tw, "\"", if (is.null(ym)) "" else paste0(", ymax = ", ym), ")"))
  }
}
formula_res[["age_not_reversed"]] <- conc_summary(concordance(Surv(time, status) ~ age, data = lung),
                                                  "concordance(Surv(time, status) ~ age, data = lung)")

# Telco: Harrell and Uno (ymax = 24 months) for a Cox fit with heavy time ties.
telco <- load_telco()
fit_t <- coxph(Surv(tenure, churn) ~ Contract + MonthlyCharges, data = telco)
telco_res <- list(
  coef = coef(fit_t),
  harrell = conc_summary(concordance(fit_t), "concordance(coxph(Surv(tenure, churn) ~ Contract + MonthlyCharges, data = telco))"),
  uno_ymax24 = conc_summary(concordance(fit_t, timewt = "n/G2", ymax = 24),
                            "concordance(fit, timewt = \"n/G2\", ymax = 24)"))

write_json_out(list(
  meta = meta("concordance.R"),
  data = list(lung = "lung.csv (survreg.R); concordance_lung_lp.csv = row, time, status, age, sex, ph.ecog and lp = predict(fit_plain, type = \"lp\") (centered linear predictor)",
              lung_weighted = "lung_weighted.csv (coxph_weighted.R)",
              telco = c(telco_meta(), list(note = "all 7043 rows"))),
  conventions = list(
    pairs = "pair (i, j) with y_i < y_j is comparable when i is an event; an event and a censoring at the same time are comparable (the event counts as the shorter); two events at the same time are tied.y (tied.xy if x is tied too) and not used; times are first passed through aeqSurv (timefix = TRUE)",
    concordance = "(concordant + tied.x / 2) / (concordant + discordant + tied.x)",
    reverse = "concordance(coxph) and reverse = TRUE: a higher predictor predicts a SHORTER time",
    std_err = "sqrt(fit$var): infinitesimal-jackknife variance (the survival >= 3.0 default); std_err_cvar = sqrt(fit$cvar), the Cox-score-based variance",
    timewt = "each event time's comparisons get weight (survival 3.5-3 concordancefit): n = 1 (Harrell); S = sum(w) * S / nrisk; S/G = sum(w) * S / (G * nrisk); n/G2 = 1 / G^2 (Uno; identical to S/G up to scale, see the equal concordances); I = 1 / nrisk; S and G = Kaplan-Meier of the events and of the censorings from survival's internal fastkm1 (see the survival 'concordance' vignette for its left/right-limit conventions); the counts are then weighted sums",
    ymax = "ymax = Y: event times > Y get timewt 0, i.e. pairs whose shorter (event) time exceeds Y are not compared",
    weights = "case weights: pair weight w_i * w_j"),
  cox = cox_res,
  formula = formula_res,
  telco = telco_res
), "concordance")
