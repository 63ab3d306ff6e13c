# Discrete-time hazard models on Telco person-period data: glm(binomial) with cloglog and logit
# links, one row per customer-year (width 12 months), as churnsurv.DiscreteTimeHazard.
# Output: discrete_hazard.json
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

telco <- load_telco()
telco$K <- pmax(1, ceiling(telco$tenure / 12))  # period of exit; tenure 0 counts in period 1
idx <- rep(seq_len(nrow(telco)), telco$K)
pp <- telco[idx, c("K", "churn", "Contract", "InternetService")]
pp$period <- sequence(telco$K)
pp$y <- as.integer(pp$period == pp$K & pp$churn == 1)

fit_summary <- function(link) {
  f <- glm(y ~ 0 + factor(period) + Contract + InternetService, data = pp,
           family = binomial(link = link), control = glm.control(epsilon = 1e-14, maxit = 100))
  list(call = paste0("glm(y ~ 0 + factor(period) + Contract + InternetService, family = binomial(link = \"", link, "\"), control = glm.control(epsilon = 1e-14, maxit = 100))"),
       coef_names = names(coef(f)), coef = unname(coef(f)),
       se = unname(sqrt(diag(vcov(f)))), loglik = as.numeric(logLik(f)),
       n_rows = nrow(pp))
}

write_json_out(list(
  meta = meta("discrete_hazard.R", packages = c("stats")),
  data = c(telco_meta(), list(note = "person-period rows: one per customer and 12-month period reached; period = 1..max(1, ceiling(tenure/12)); y = 1 in the last period of a churned customer")),
  cloglog = fit_summary("cloglog"),
  logit = fit_summary("logit")
), "discrete_hazard")
