"""Information planes of your own torch model, measured with the estimator the benchmark recommends.

:func:`infoplane` captures chosen layers (forward hooks) at log-spaced epochs of training or at
saved checkpoints and measures ``I(X;T)`` and ``I(T;Y)`` per layer and epoch, exactly when a layer
is quantized, otherwise with the estimator of the recommendation table; see docs/infoplane.md.
"""

from ibbench.information_plane.api import InfoPlaneResult, InfoPlaneWarning, infoplane
from ibbench.information_plane.capture import log_epochs
from ibbench.information_plane.choose import Choice
from ibbench.information_plane.measure import CEILINGS

__all__ = ["CEILINGS", "Choice", "InfoPlaneResult", "InfoPlaneWarning", "infoplane", "log_epochs"]
