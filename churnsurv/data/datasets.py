"""Bundled datasets, loaded offline from package data.

Every loader reads a file shipped inside the package (``churnsurv._data``, the top-level
``datasets/`` folder of the repository) with :mod:`importlib.resources`; nothing is downloaded.
Provenance and licences are in ``datasets/README.md`` and each folder's ``PROVENANCE.md``.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

__all__ = [
    "IRANIAN_COLUMNS",
    "load_cdnow",
    "load_fader_hardie_2007",
    "load_iranian_churn",
    "load_telco",
]

#: Mapping from the UCI Iranian churn file's published column names (note the double spaces)
#: to the snake_case names returned by :func:`load_iranian_churn`.
IRANIAN_COLUMNS: dict[str, str] = {
    "Call  Failure": "call_failure",
    "Complains": "complains",
    "Subscription  Length": "subscription_length",
    "Charge  Amount": "charge_amount",
    "Seconds of Use": "seconds_of_use",
    "Frequency of use": "frequency_of_use",
    "Frequency of SMS": "frequency_of_sms",
    "Distinct Called Numbers": "distinct_called_numbers",
    "Age Group": "age_group",
    "Tariff Plan": "tariff_plan",
    "Status": "status",
    "Age": "age",
    "Customer Value": "customer_value",
    "Churn": "churn",
}

_TELCO_CATEGORICAL = [
    "gender",
    "Partner",
    "Dependents",
    "PhoneService",
    "MultipleLines",
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
    "Churn",
]


def _path(folder: str, name: str):
    return resources.files("churnsurv._data").joinpath(folder).joinpath(name)


def load_telco() -> pd.DataFrame:
    """Load the IBM Telco Customer Churn data (a *fictional* company).

    7,043 customers × 21 columns of a fictional telco "that provided home phone and Internet
    services to 7043 customers in California in Q3" (IBM). ``tenure`` is in months (0–72) and
    ``Churn`` is ``"Yes"`` for 1,869 customers (26.5%) who left "within the last month".

    The file is a snapshot of one moment: customers who left before it are absent, so the sample
    is left-truncated (see notebook 01). Cleaning done here: ``TotalCharges`` holds a single space
    for the 11 customers with tenure 0 and becomes NaN; text columns become ``category``;
    ``SeniorCitizen`` stays 0/1 integer.

    Source: IBM, Apache-2.0 repository ``IBM/telco-customer-churn-on-icp4d``
    (``datasets/telco/PROVENANCE.md``).

    Returns
    -------
    pandas.DataFrame
        One row per customer; ``customerID`` is unique.

    Examples
    --------
    >>> from churnsurv.data.datasets import load_telco
    >>> telco = load_telco()
    >>> telco.shape
    (7043, 21)
    >>> int(telco["TotalCharges"].isna().sum()), int((telco["Churn"] == "Yes").sum())
    (11, 1869)
    """
    with _path("telco", "Telco-Customer-Churn.csv").open("rb") as fh:
        df = pd.read_csv(fh, dtype={"customerID": str})
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"].str.strip().replace("", np.nan))
    for col in _TELCO_CATEGORICAL:
        df[col] = df[col].astype("category")
    df["SeniorCitizen"] = df["SeniorCitizen"].astype("int64")
    df["tenure"] = df["tenure"].astype("int64")
    df.attrs["source"] = "IBM Telco Customer Churn (fictional company), Apache-2.0"
    return df


def load_iranian_churn() -> pd.DataFrame:
    """Load the UCI Iranian churn data (real telecom customers, CC BY 4.0).

    3,150 customers × 14 attributes "randomly collected from an Iranian telecom company's
    database over a period of 12 months"; 495 churned. ``subscription_length`` is in months
    (3–47). Attributes are aggregated over the first 9 months and churn is the state at month 12,
    so the subscription length is an approximate duration.

    Column names are cleaned to snake_case with the documented mapping :data:`IRANIAN_COLUMNS`
    (the published names contain double spaces). The file has 300 rows that exactly duplicate an
    earlier row; they are **kept**, flagged in the boolean column ``is_duplicate``, and counted in
    ``df.attrs["n_duplicates"]``, so you decide whether to drop them.

    Source: UCI Machine Learning Repository, dataset 563; cite UCI and Jafari-Marandi et al.
    (2020), *Neural Computing and Applications*.

    Returns
    -------
    pandas.DataFrame
        3,150 rows; 14 data columns plus ``is_duplicate``.

    Examples
    --------
    >>> from churnsurv.data.datasets import load_iranian_churn
    >>> iran = load_iranian_churn()
    >>> iran.shape, iran.attrs["n_duplicates"], int(iran["churn"].sum())
    ((3150, 15), 300, 495)
    """
    with _path("iranian_churn", "customer_churn.csv").open("rb") as fh:
        df = pd.read_csv(fh)
    unknown = set(df.columns) - set(IRANIAN_COLUMNS)
    if unknown:  # pragma: no cover - guards against a changed data file
        raise RuntimeError(f"unexpected columns in the bundled Iranian file: {sorted(unknown)}")
    df = df.rename(columns=IRANIAN_COLUMNS)
    df["is_duplicate"] = df.duplicated(keep="first")
    df.attrs["n_duplicates"] = int(df["is_duplicate"].sum())
    df.attrs["source"] = "UCI Iranian Churn Dataset (id 563), CC BY 4.0"
    return df


def load_cdnow(*, sample: bool = True) -> pd.DataFrame:
    """Load the CDNOW transaction log (Fader & Hardie).

    All purchases through June 1998 of the customers who made their first-ever purchase at the
    online music retailer CDNOW in the first quarter of 1997. ``sample=True`` gives the standard
    1/10 sample (2,357 customers, 6,919 transactions), ``sample=False`` the master file (23,570
    customers, 69,659 transactions). Use :func:`churnsurv.rfm_summary` to turn it into
    frequency / recency / T.

    Source: Fader & Hardie, as redistributed in the MIT-licensed lifetimes package; attribute
    Fader & Hardie / CDNOW.

    Parameters
    ----------
    sample : bool, default True
        The 1/10 sample (True) or the full master file (False).

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id`` (str), ``date`` (datetime64), ``quantity`` (CDs, int),
        ``amount`` (dollars, float); one row per transaction record.

    Examples
    --------
    >>> from churnsurv.data.datasets import load_cdnow
    >>> cd = load_cdnow()
    >>> cd.shape, cd["customer_id"].nunique(), round(float(cd["amount"].sum()), 2)
    ((6919, 4), 2357, 244091.94)
    """
    if sample:
        names = ["master_id", "customer_id", "date", "quantity", "amount"]
        with _path("cdnow", "CDNOW_sample.txt").open("rb") as fh:
            df = pd.read_csv(
                fh,
                sep=r"\s+",
                header=None,
                names=names,
                dtype={"customer_id": str, "master_id": str, "date": str},
            )
        df = df.drop(columns="master_id")
    else:
        names = ["customer_id", "date", "quantity", "amount"]
        with _path("cdnow", "CDNOW_master.txt").open("rb") as fh:
            df = pd.read_csv(
                fh, sep=r"\s+", header=0, names=names, dtype={"customer_id": str, "date": str}
            )
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    df["quantity"] = df["quantity"].astype("int64")
    df["amount"] = df["amount"].astype("float64")
    df.attrs["source"] = "CDNOW transactions (Fader & Hardie)"
    return df.reset_index(drop=True)


def load_fader_hardie_2007() -> pd.DataFrame:
    """Load the Fader & Hardie (2007) contractual retention counts.

    Two cohorts of 1,000 customers ("regular" and "high end"); the number still active at the end
    of years 0–12. The paper fits the shifted-beta-geometric model on years 0–7 and uses years
    8–12 as the holdout.

    Source: P. S. Fader and B. G. S. Hardie (2007), "How to Project Customer Retention",
    *Journal of Interactive Marketing* 21(1), 76–90, Table 1.

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (0–12), ``regular_alive``, ``highend_alive``.

    Examples
    --------
    >>> from churnsurv.data.datasets import load_fader_hardie_2007
    >>> fh = load_fader_hardie_2007()
    >>> fh.loc[fh["year"] == 7, ["regular_alive", "highend_alive"]].values.tolist()
    [[241, 491]]
    """
    with _path("fader_hardie_2007", "survivors.csv").open("rb") as fh:
        df = pd.read_csv(fh)
    return df.astype("int64")
