import pandas as pd

from .abstract_parameter_type import AbstractParameterType


class PandasParameterType(AbstractParameterType):
    def deserialize_input(self, input_data):
        if not isinstance(input_data, (list, dict)):
            raise Exception("Error, unable to convert input of type {} into Pandas Dataframe"
                            .format(type(input_data)))
        frame = pd.DataFrame.from_records(input_data) if isinstance(input_data, list) \
            else pd.DataFrame(input_data)
        return frame.astype(self.sample_input.dtypes.to_dict())

    def input_to_swagger(self):
        return {"type": "array", "format": "pandas.DataFrame:records",
                "items": {"type": "object", "properties": {str(c): {} for c in self.sample_input.columns}},
                "example": self.sample_input.to_dict(orient="records")}
