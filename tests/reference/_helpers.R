# Shared helpers for the R reference scripts in tests/reference/.
#
# Every script starts with
#   .a <- grep("^--file=", commandArgs(FALSE), value = TRUE)
#   REF_DIR <- if (length(.a)) dirname(normalizePath(sub("^--file=", "", .a[1]))) else "tests/reference"
#   source(file.path(REF_DIR, "_helpers.R"))
# so that `Rscript tests/reference/<name>.R` (run from the worktree root) writes next to itself.
#
# Numbers are written with the fewest significant digits (15, 16 or 17) that read back as the
# identical double, so every JSON/CSV number round-trips exactly.  jsonlite::toJSON is not used
# for numbers because it stops at 15 significant digits.

suppressPackageStartupMessages(library(survival))

REPO_ROOT <- normalizePath(file.path(REF_DIR, "..", ".."))
TELCO_CSV <- file.path(REPO_ROOT, "datasets", "telco", "Telco-Customer-Churn.csv")

# ---------------------------------------------------------------- number formatting
fmt_num <- function(x) {
  vapply(as.numeric(x), function(v) {
    if (is.nan(v)) return("NaN")
    if (is.na(v)) return("null")
    if (is.infinite(v)) return(if (v > 0) "Infinity" else "-Infinity")
    if (v == 0) return("0")
    for (d in 15:17) {
      s <- sprintf(paste0("%.", d, "g"), v)
      if (as.numeric(s) == v) break
    }
    s
  }, "")
}

json_str <- function(s) {
  out <- vapply(s, function(v) {
    if (is.na(v)) "null" else as.character(jsonlite::toJSON(v, auto_unbox = TRUE))
  }, "")
  unname(out)
}

json_atoms <- function(x) {
  if (is.factor(x)) x <- as.character(x)
  if (is.logical(x)) return(ifelse(is.na(x), "null", ifelse(x, "true", "false")))
  if (is.character(x)) return(json_str(x))
  if (is.numeric(x)) return(fmt_num(x))
  stop("cannot serialise class ", paste(class(x), collapse = "/"))
}

# to_json rules:
#   NULL -> null; data.frame -> object of column arrays; matrix -> array of row arrays;
#   named list -> object; unnamed list -> array; named atomic vector -> object;
#   unnamed atomic of length 1 -> scalar (wrap in I() to force an array); other atomic -> array.
#   Non-finite numbers: NA -> null, NaN -> NaN, +-Inf -> Infinity/-Infinity (Python's json reads these).
to_json <- function(x, indent = 0) {
  pad <- strrep("  ", indent + 1)
  padc <- strrep("  ", indent)
  if (is.null(x)) return("null")
  if (is.data.frame(x)) {
    x <- lapply(as.list(x), function(col) I(if (is.factor(col)) as.character(col) else col))
    return(to_json(x, indent))
  }
  if (is.matrix(x)) {
    rows <- lapply(seq_len(nrow(x)), function(i) I(unname(x[i, ])))
    return(to_json(rows, indent))
  }
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    nm <- names(x)
    items <- vapply(x, to_json, "", indent = indent + 1)
    if (!is.null(nm) && all(nzchar(nm))) {
      items <- paste0(json_str(nm), ": ", items)
      return(paste0("{\n", paste0(pad, items, collapse = ",\n"), "\n", padc, "}"))
    }
    return(paste0("[\n", paste0(pad, items, collapse = ",\n"), "\n", padc, "]"))
  }
  asis <- inherits(x, "AsIs")
  nm <- names(x)
  atoms <- json_atoms(unclass(x))
  if (!is.null(nm) && all(nzchar(nm)))
    return(paste0("{", paste0(json_str(nm), ": ", atoms, collapse = ", "), "}"))
  if (length(x) == 1 && !asis) return(atoms)
  paste0("[", paste(atoms, collapse = ", "), "]")
}

write_json_out <- function(obj, name) {
  path <- file.path(REF_DIR, paste0(name, ".json"))
  writeLines(to_json(obj), path, useBytes = TRUE)
  cat("wrote", path, "\n")
}

# CSV with exact round-trip numbers; NA written as an empty field; strings quoted.
write_csv_exact <- function(df, name) {
  path <- file.path(REF_DIR, paste0(name, ".csv"))
  cols <- lapply(df, function(col) {
    if (is.factor(col)) col <- as.character(col)
    if (is.logical(col)) col <- as.integer(col)
    if (is.character(col)) return(ifelse(is.na(col), "", paste0("\"", gsub("\"", "\"\"", col), "\"")))
    out <- fmt_num(col)
    out[is.na(col)] <- ""
    out
  })
  lines <- c(paste0("\"", names(df), "\"", collapse = ","),
             do.call(paste, c(cols, sep = ",")))
  writeLines(lines, path, useBytes = TRUE)
  cat("wrote", path, "\n")
}

# ---------------------------------------------------------------- metadata
meta <- function(script, packages = c("survival")) {
  pk <- lapply(packages, function(p) as.character(utils::packageVersion(p)))
  names(pk) <- packages
  list(
    script = paste0("tests/reference/", script),
    run_as = paste0("Rscript tests/reference/", script),
    R_version = R.version.string,
    R_version_output_first_line = paste0(R.version.string, " -- \"", R.version$nickname, "\""),
    platform = R.version$platform,
    packages = pk,
    RNGkind = RNGkind()
  )
}

# ---------------------------------------------------------------- data
# Telco: churn = 1 if Churn == "Yes"; Contract / InternetService factors with R's default
# (alphabetical) levels, so the reference levels are "Month-to-month" and "DSL".
load_telco <- function() {
  d <- utils::read.csv(TELCO_CSV, stringsAsFactors = FALSE)
  d$churn <- as.integer(d$Churn == "Yes")
  d$Contract <- factor(d$Contract, levels = c("Month-to-month", "One year", "Two year"))
  d$InternetService <- factor(d$InternetService, levels = c("DSL", "Fiber optic", "No"))
  d
}

telco_meta <- function() {
  list(file = "datasets/telco/Telco-Customer-Churn.csv",
       md5 = unname(tools::md5sum(TELCO_CSV)),
       derivation = "churn = as.integer(Churn == \"Yes\"); Contract levels Month-to-month (ref), One year, Two year; InternetService levels DSL (ref), Fiber optic, No")
}

# lung rows used for weighted fits: complete cases of time, status, age, sex (lung has none
# missing there, so all 228 rows), R row number kept as `row`, weights w = (row %% 7 + 1) / 3
# where row = 1..n after NA removal.
lung_weighted <- function() {
  d <- survival::lung
  d$row <- seq_len(nrow(d))
  d <- d[stats::complete.cases(d[, c("time", "status", "age", "sex")]), ]
  d$w <- (seq_len(nrow(d)) %% 7 + 1) / 3
  d$dead <- as.integer(d$status == 2)
  d
}

# ---------------------------------------------------------------- fit summaries
cox_summary <- function(fit) {
  out <- list(
    coef = coef(fit),
    se = sqrt(diag(vcov(fit))),
    vcov = unname(vcov(fit)),
    loglik_null = fit$loglik[1],
    loglik = fit$loglik[2],
    score_test = unname(fit$score),
    wald_test = unname(fit$wald.test),
    iter = fit$iter,
    n = fit$n,
    nevent = fit$nevent,
    ties = fit$method
  )
  names(out$se) <- names(coef(fit))
  if (!is.null(fit$naive.var)) {
    out$naive_se <- sqrt(diag(fit$naive.var))
    names(out$naive_se) <- names(coef(fit))
    out$naive_vcov <- unname(fit$naive.var)
    out$robust_se <- out$se
    if (!is.null(fit$rscore)) out$robust_score_test <- unname(fit$rscore)
    out$note_se <- "se = robust_se = sqrt(diag(vcov(fit))) (sandwich); naive_se = sqrt(diag(fit$naive.var))"
  }
  out
}
