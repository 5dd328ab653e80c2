class AbstractParameterType:
    def __init__(self, sample_input):
        self.sample_input = sample_input
        self.sample_data_type = type(sample_input)

    def supported_versions(self):
        return ["2.0", "3.0", "3.1"]
