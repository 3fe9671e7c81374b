"""Contrastive activation steering: a fitted direction added to one decoder layer's output.

``fit_vector`` computes per-layer mean activation differences between counter-stereotyped and
stereotyped texts of CLEAR-Bias (on a seeded split of prompt ids, ``split_items``);
``steering(model, layer, vector, strength)`` adds it through a forward hook for the duration of a
``with`` block; :class:`SteerEngine` runs an hf engine under that hook. Vectors are saved as
``.npz`` + ``.json`` provenance (:meth:`SteeringVector.save`, :func:`load_vector`).
"""

from biaskit.debias.steer._fit import PAIR_KINDS, contrast_texts, fit_vector, split_items
from biaskit.debias.steer._hook import capture, check_layer, decoder_layers, steering
from biaskit.debias.steer._vector import FitSplit, Provenance, SteeringVector, load_vector
from biaskit.debias.steer.engine import SteerEngine, check_strength, load_steer_engine

__all__ = [
    "PAIR_KINDS",
    "FitSplit",
    "Provenance",
    "SteerEngine",
    "SteeringVector",
    "capture",
    "check_layer",
    "check_strength",
    "contrast_texts",
    "decoder_layers",
    "fit_vector",
    "load_steer_engine",
    "load_vector",
    "split_items",
    "steering",
]
