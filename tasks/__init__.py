"""Built-in benchmark tasks, one module per family (installed as ``ibbench.tasks``)."""
