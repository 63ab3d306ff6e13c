# Cox fits with robust (sandwich) variance: clustered (diabetic retinopathy, two eyes per id)
# and unclustered robust = TRUE (Telco).
# Outputs: coxph_robust.json, diabetic.csv
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

# diabetic: survival's built-in data; adult = 1 if age >= 20 (adult-onset diabetes) else 0.
# With this definition and ties = "efron" the robust SEs are 0.14851 (trt) / 0.17864 (adult),
# the values in survival's saved example output (tests/Examples/survival-Ex.Rout.save, ?diabetic example,
# which uses juvenile = age < 20: the same fit with that coefficient's sign flipped).
diab <- survival::diabetic
diab$adult <- as.integer(diab$age >= 20)
write_csv_exact(diab, "diabetic")

diab_fits <- list()
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(time, status) ~ trt + adult, data = diab, cluster = id, ties = ties)
  s <- cox_summary(fit)
  s$call <- paste0("coxph(Surv(time, status) ~ trt + adult, data = diabetic, cluster = id, ties = \"", ties, "\")")
  diab_fits[[ties]] <- s
}
# the same fit through the older cluster() term in the formula gives the same numbers
fit_old <- coxph(Surv(time, status) ~ trt + adult + cluster(id), data = diab, ties = "efron")
stopifnot(isTRUE(all.equal(vcov(fit_old), vcov(coxph(Surv(time, status) ~ trt + adult, data = diab,
                                                     cluster = id, ties = "efron")))))

telco <- load_telco()
telco_fits <- list()
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(tenure, churn) ~ Contract + MonthlyCharges, data = telco, robust = TRUE, ties = ties)
  s <- cox_summary(fit)
  s$call <- paste0("coxph(Surv(tenure, churn) ~ Contract + MonthlyCharges, data = telco, robust = TRUE, ties = \"", ties, "\")")
  telco_fits[[ties]] <- s
}

write_json_out(list(
  meta = meta("coxph_robust.R"),
  data = list(
    diabetic = "diabetic.csv: survival::diabetic (394 rows) plus adult = as.integer(age >= 20)",
    telco = c(telco_meta(), list(n_rows = nrow(telco), note = "all 7043 rows, tenure 0 kept (coxph accepts it)"))),
  conventions = list(
    robust_se = "sqrt(diag(vcov(fit))): with cluster= or robust=TRUE vcov(fit) is the sandwich D'D, D = dfbeta residuals summed within cluster (each row its own cluster when robust=TRUE without cluster)",
    naive_se = "sqrt(diag(fit$naive.var)) = inverse information",
    robust_score_test = "fit$rscore: robust score test",
    survival_test_check = "diabetic efron robust SE (trt, adult) round to 0.14851, 0.17864, as in survival's tests/Examples/survival-Ex.Rout.save (?diabetic example, juvenile = 1 - adult)"),
  diabetic = diab_fits,
  telco = telco_fits
), "coxph_robust")
