from .abstract_parameter_type import AbstractParameterType

_SWAGGER_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string",
                  list: "array", dict: "object"}


class StandardPythonParameterType(AbstractParameterType):
    def deserialize_input(self, input_data):
        if self.sample_data_type is float and type(input_data) is int:
            return input_data
        if not isinstance(input_data, self.sample_data_type):
            raise ValueError("Invalid input data type to parse. Expected: {0} but got {1}".format(
                self.sample_data_type, type(input_data)))
        return input_data

    def input_to_swagger(self):
        return {"type": _SWAGGER_TYPES.get(self.sample_data_type, "object"), "example": self.sample_input}
