"""Built-in MI estimators, one module per family (installed as ``ibbench.estimators``)."""
