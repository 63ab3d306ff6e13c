# The curve and band R's plot(cox.zph(fit)) draws: a natural spline (ns, df = 4, intercept)
# of the scaled Schoenfeld residuals on transformed time, ± 2 SE, and the time-axis ticks.
# The arithmetic is copied from survival:::plot.cox.zph (survival 3.5-3) so the drawn numbers
# can be compared; nothing is plotted.
# Outputs: coxzph_plot.json
.a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
source(file.path(REF_DIR, "_helpers.R"))
library(splines)

plot_numbers <- function(x, df = 4, nsmo = 40) {
  xx <- x$x
  yy <- x$y
  pred.x <- seq(from = min(xx), to = max(xx), length = nsmo)
  lmat <- ns(c(pred.x, xx), df = df, intercept = TRUE)
  pmat <- lmat[1:nsmo, ]
  xmat <- lmat[-(1:nsmo), ]
  xtime <- x$time
  indx <- !duplicated(xx)
  apr1 <- approx(xx[indx], xtime[indx], seq(min(xx), max(xx), length = 17)[2 * (1:8)])
  lab <- signif(apr1$y, 2)
  apr2 <- approx(xtime[indx], xx[indx], lab)
  out <- list(pred_x = pred.x, tick_at = apr2$y, tick_label = lab, terms = list())
  for (i in seq_len(ncol(yy))) {
    qmat <- qr(xmat)
    yhat <- pmat %*% qr.coef(qmat, yy[, i])
    bk <- backsolve(qmat$qr[1:df, 1:df], diag(df))
    xtx <- bk %*% t(bk)
    seval <- ((pmat %*% xtx) * pmat) %*% rep(1, df)
    half <- 2 * sqrt(x$var[i, i] * seval)
    out$terms[[colnames(yy)[i]]] <- list(yhat = c(yhat), lower = c(yhat - half),
                                         upper = c(yhat + half), var = x$var[i, i])
  }
  out
}

lung <- survival::lung
fit <- coxph(Surv(time, status) ~ age + sex, data = lung)
z <- cox.zph(fit, transform = "km")
telco <- load_telco()
fit_t <- coxph(Surv(tenure, churn) ~ Contract + MonthlyCharges, data = telco)
zt <- cox.zph(fit_t, transform = "km", terms = FALSE)
write_json_out(list(
  meta = meta("coxzph_plot.R", packages = c("survival", "splines")),
  lung = c(list(call = "plot(cox.zph(coxph(Surv(time, status) ~ age + sex, data = lung)))"),
           plot_numbers(z)),
  telco = c(list(call = "plot(cox.zph(coxph(Surv(tenure, churn) ~ Contract + MonthlyCharges, data = telco), terms = FALSE))",
                 data = telco_meta()),
            plot_numbers(zt))
), "coxzph_plot")
