# The report's Cox section acting on its own PH check (issue 17): cox.zph before and after
# stratifying on the violating categorical term.
# Outputs: report_ph_remedy.json
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))

zph_table <- function(z) {
  tab <- z$table
  list(rows = rownames(tab), chisq = unname(tab[, "chisq"]), df = unname(tab[, "df"]),
       p = unname(tab[, "p"]))
}

telco <- load_telco()
before <- coxph(Surv(tenure, churn) ~ Contract + SeniorCitizen + MonthlyCharges, data = telco)
after <- coxph(Surv(tenure, churn) ~ SeniorCitizen + MonthlyCharges + strata(Contract), data = telco)

write_json_out(list(
  meta = meta("report_ph_remedy.R"),
  data = c(telco_meta(), list(note = "all 7043 rows")),
  before = list(call = "cox.zph(coxph(Surv(tenure, churn) ~ Contract + SeniorCitizen + MonthlyCharges))",
                coef = coef(before), zph = zph_table(cox.zph(before))),
  after = list(call = "cox.zph(coxph(Surv(tenure, churn) ~ SeniorCitizen + MonthlyCharges + strata(Contract)))",
               coef = coef(after), zph = zph_table(cox.zph(after)))
), "report_ph_remedy")
