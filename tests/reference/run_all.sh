#!/bin/sh
# Regenerate every R reference output (needs R with survival, cmprsk, riskRegression, jsonlite).
# Run from the repository root: sh tests/reference/run_all.sh
set -e
for s in coxph_efron_ties coxph_robust coxph_weighted coxph_panel survreg coxzph survdiff discrete_hazard concordance cuminc cuminc_extra riskregression_score riskregression_ibs_calibration experiment_arms coxph_tt winback prop_wilson coxzph_plot report_ph_remedy coxph_report_formula bootstrap_total; do
  Rscript "tests/reference/$s.R"
done
Rscript "tests/reference/concordance_se.R"   # Harrell SE with ties, strata, weights, entry (issue 13)
PYTHONPATH=. python tests/reference/km_counts_data.py && Rscript "tests/reference/km_counts.R"   # issue 16
