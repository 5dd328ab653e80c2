import numpy as np

from .abstract_parameter_type import AbstractParameterType


class NumpyParameterType(AbstractParameterType):
    def deserialize_input(self, input_data):
        if not isinstance(input_data, list):
            raise ValueError("Invalid input format: expected an array of items.")
        array = np.array(input_data, dtype=self.sample_input.dtype)
        if array.ndim != self.sample_input.ndim:
            raise ValueError("Invalid input array: an array with {0} dimensions is expected; input has {1} "
                             "[shape {2}]".format(self.sample_input.ndim, array.ndim, array.shape))
        for dim in range(1, array.ndim):
            if array.shape[dim] != self.sample_input.shape[dim]:
                raise ValueError("Invalid input array: array has size {0} on dimension #{1}, while expected "
                                 "value is {2}".format(array.shape[dim], dim, self.sample_input.shape[dim]))
        return array

    def input_to_swagger(self):
        return {"type": "array", "format": "numpy.ndarray", "items": {"type": "number"},
                "example": self.sample_input.tolist()}
