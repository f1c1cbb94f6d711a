"""Digits label-channel task: the label is a function of the image, and I(X;Y) = I(L;Y) exactly."""

import math

import numpy as np
import pytest

import ibbench
from ibbench.tasks.digits import DigitsLabelChannel, digits_population, symmetric_channel


def _image_to_labels():
    from sklearn.datasets import load_digits

    data = load_digits()
    labels = {}
    for img, lab in zip(data.data, data.target):
        labels.setdefault(img.tobytes(), set()).add(int(lab))
    return data, labels


def test_label_is_a_function_of_the_image():
    data, labels = _image_to_labels()
    assert all(len(v) == 1 for v in labels.values()), "an image occurs with two different labels"
    X, y = digits_population()
    assert len(X) == len(data.data) == 1797  # nothing had to be dropped
    assert len(labels) == 1797  # all images distinct


@pytest.mark.parametrize("flip", [0.0, 0.05, 0.3, 0.6, 0.9, 1.0])
def test_true_mi_equals_brute_force_over_images(flip):
    # I(X;Y) summed over the 1797 images (not the labels): p(x) = mult/N, p(y|x) = channel row of
    # the image's label. Equality with the task's I(L;Y) proves the reduction on this data.
    data, labels = _image_to_labels()
    counts = {}
    for img in data.data:
        counts[img.tobytes()] = counts.get(img.tobytes(), 0) + 1
    N = len(data.data)
    ch = symmetric_channel(10, flip)
    py = [0.0] * 10
    for key, c in counts.items():
        (lab,) = labels[key]
        for yv in range(10):
            py[yv] += c / N * ch[lab, yv]
    total = 0.0
    for key, c in counts.items():
        (lab,) = labels[key]
        for yv in range(10):
            pyx = ch[lab, yv]
            if pyx > 0:
                total += c / N * pyx * math.log(pyx / py[yv])
    task = DigitsLabelChannel(flip=flip)
    assert task.true_mi == pytest.approx(total, abs=1e-12)


def test_mi_range_and_sampler_noise_rate():
    assert DigitsLabelChannel(flip=0.9).true_mi == pytest.approx(0.0, abs=1e-12)  # uniform Y | L
    h_label = DigitsLabelChannel(flip=0.0).true_mi
    assert np.log(10) - 1e-3 < h_label <= np.log(10)  # classes are nearly balanced
    task = DigitsLabelChannel(flip=0.3)
    X, Y = task.sample(20_000, random_state=0)
    _, labels = _image_to_labels()
    true_lab = np.array([next(iter(labels[row.tobytes()])) for row in X])
    # the fraction of flipped labels has SE sqrt(0.21/n) ≈ 0.003
    assert np.mean(true_lab != Y[:, 0]) == pytest.approx(0.3, abs=0.015)
    wrong = Y[true_lab != Y[:, 0], 0] - true_lab[true_lab != Y[:, 0]]
    assert len(np.unique(wrong % 10)) == 9  # flips go to all other labels


def test_onehot_encoding_is_the_same_draw():
    a = DigitsLabelChannel(flip=0.2).sample(500, random_state=3)
    b = DigitsLabelChannel(flip=0.2, encoding="onehot").sample(500, random_state=3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(b[1].argmax(1), a[1][:, 0])
    assert b[1].shape == (500, 10) and np.all(b[1].sum(1) == 1)
    assert DigitsLabelChannel(flip=0.2, encoding="onehot").true_mi == DigitsLabelChannel(flip=0.2).true_mi


def test_registered_and_validated():
    task = ibbench.get_task("digits-label", flip=0.1)
    assert (task.dim_x, task.dim_y, task.x_kind, task.y_kind) == (64, 1, "discrete", "discrete")
    for bad in ({"flip": 1.5}, {"encoding": "bits"}):
        with pytest.raises(ValueError):
            DigitsLabelChannel(**bad)
