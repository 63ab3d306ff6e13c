# The report's default Cox model on Telco (issue 18: the design built from codes, H12):
# Efron ties, the five terms of `churnsurv report`'s --formula default.
# Outputs: coxph_report_formula.json
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

telco <- load_telco()
telco$PaymentMethod <- factor(telco$PaymentMethod)  # sorted levels: Bank transfer (automatic) ref
fit <- coxph(Surv(tenure, churn) ~ Contract + InternetService + PaymentMethod + SeniorCitizen +
               MonthlyCharges, data = telco, ties = "efron")
conc <- concordance(fit)

write_json_out(list(
  meta = meta("coxph_report_formula.R"),
  data = c(telco_meta(), list(note = "all 7043 rows; PaymentMethod levels sorted (R factor default)")),
  call = "coxph(Surv(tenure, churn) ~ Contract + InternetService + PaymentMethod + SeniorCitizen + MonthlyCharges, data = telco, ties = \"efron\")",
  coef = coef(fit),
  se = sqrt(diag(vcov(fit))),
  loglik = fit$loglik[2],
  score_test = unname(fit$score),
  concordance = unname(conc$concordance)
), "coxph_report_formula")
