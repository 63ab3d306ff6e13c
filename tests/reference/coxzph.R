# Proportional-hazards tests (cox.zph) for several time transforms.
# Outputs: coxzph.json
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

zph_table <- function(z) {
  tab <- z$table
  list(rows = rownames(tab), chisq = unname(tab[, "chisq"]), df = unname(tab[, "df"]),
       p = unname(tab[, "p"]))
}

transforms <- c("km", "rank", "identity", "log")

# (a) lung, complete cases of the model's columns (ph.ecog has one NA -> 227 rows)
lung <- survival::lung
lung$row <- seq_len(nrow(lung))
lung_cc <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog")]), ]
fit_lung <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung_cc)
lung_res <- list(call = "coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung_cc)  # ties = efron",
                 rows_used = lung_cc$row, n = fit_lung$n, nevent = fit_lung$nevent,
                 coef = coef(fit_lung), tests = list())
for (tr in transforms) {
  z <- cox.zph(fit_lung, transform = tr)
  r <- zph_table(z)
  r$call <- paste0("cox.zph(fit, transform = \"", tr, "\")")
  r$time <- unname(z$time)          # event times, one per event, sorted
  r$x <- unname(z$x)                # transformed event times
  r$y <- unname(z$y)                # scaled Schoenfeld residuals (rows = events, cols = age, sex, ph.ecog)
  lung_res$tests[[tr]] <- r
}

# (b) Telco, Contract (2-df term) + MonthlyCharges; all 7043 rows
telco <- load_telco()
fit_telco <- coxph(Surv(tenure, churn) ~ Contract + MonthlyCharges, data = telco)
telco_res <- list(call = "coxph(Surv(tenure, churn) ~ Contract + MonthlyCharges, data = telco)  # ties = efron",
                  n = fit_telco$n, nevent = fit_telco$nevent, coef = coef(fit_telco),
                  tests_terms = list(), tests_coefficients = list())
for (tr in transforms) {
  r <- zph_table(cox.zph(fit_telco, transform = tr))
  r$call <- paste0("cox.zph(fit, transform = \"", tr, "\")  # terms = TRUE: one test per model term")
  telco_res$tests_terms[[tr]] <- r
  r <- zph_table(cox.zph(fit_telco, transform = tr, terms = FALSE))
  r$call <- paste0("cox.zph(fit, transform = \"", tr, "\", terms = FALSE)  # one test per coefficient")
  telco_res$tests_coefficients[[tr]] <- r
}

# (c) weighted fit (weights as in coxph_weighted.R / lung_weighted.csv)
lw <- lung_weighted()
fit_w <- coxph(Surv(time, status == 2) ~ age + sex, data = lw, weights = w)
w_res <- list(call = "coxph(Surv(time, status == 2) ~ age + sex, data = lung_weighted, weights = w)  # ties = efron",
              coef = coef(fit_w), tests = list())
for (tr in transforms) {
  z <- cox.zph(fit_w, transform = tr)
  r <- zph_table(z)
  r$call <- paste0("cox.zph(fit, transform = \"", tr, "\")")
  r$time <- unname(z$time)
  r$x <- unname(z$x)
  w_res$tests[[tr]] <- r
}
# Does transform = "km" use the case weights?  Compare zph$x with 1 - S(t-) from the unweighted
# and from the weighted Kaplan-Meier (left-continuous, evaluated at each event time).
zkm <- cox.zph(fit_w, transform = "km")
km_left <- function(sf, t) {
  i <- findInterval(t, sf$time, left.open = TRUE)
  1 - c(1, sf$surv)[i + 1]
}
km_u <- survfit(Surv(time, dead) ~ 1, data = lw)
km_w <- survfit(Surv(time, dead) ~ 1, data = lw, weights = w)
d_unw <- max(abs(zkm$x - km_left(km_u, zkm$time)))
d_w <- max(abs(zkm$x - km_left(km_w, zkm$time)))
w_res$km_transform_check <- list(
  max_abs_diff_vs_unweighted_km = d_unw,
  max_abs_diff_vs_weighted_km = d_w,
  km_transform_uses_weights = d_w < 1e-12 && d_unw >= 1e-12,
  conclusion = if (d_unw < 1e-12) "R's km transform ignores the case weights: x = 1 - S(t-) of the UNWEIGHTED Kaplan-Meier of the fit's y (survfitKM called without weights); the weights do enter the score test itself" else "R's km transform uses the weights")

write_json_out(list(
  meta = meta("coxzph.R"),
  data = list(
    lung = "lung.csv (written by survreg.R) restricted to rows_used (complete cases of time, status, age, sex, ph.ecog)",
    telco = c(telco_meta(), list(note = "all 7043 rows")),
    lung_weighted = "lung_weighted.csv (written by coxph_weighted.R)"),
  conventions = list(
    test = "survival >= 3.0 cox.zph: score test of beta(t) = beta + theta * g(t) using the full information matrix (not the older Grambsch-Therneau shortcut that uses the average variance); per term (terms = TRUE) and GLOBAL (last row)",
    transforms = "km: g(t) = 1 - S(t-), S = unweighted KM of the fit's response (left-continuous, i.e. just before t); rank: rank(event times), ties averaged; identity: t; log: log(t)",
    p = "pchisq(chisq, df, lower.tail = FALSE)",
    y = "z$y: scaled Schoenfeld residuals (beta added), one row per event in event-time order"),
  lung = lung_res,
  telco = telco_res,
  lung_weighted = w_res
), "coxzph")
