"""Train the diabetes Ridge regression used by the mlfunc example.

    /usr/bin/python3 train.py [output.pkl]

The data set ships inside scikit-learn, so this needs no download. Training is
deterministic: the same library versions give the same model.
"""
import os
import sys

import joblib
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split

ALPHA = 0.1
MODEL_FILE = "sklearn_regression_model.pkl"


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      MODEL_FILE)
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    model = Ridge(alpha=ALPHA).fit(X_train, y_train)
    mse = mean_squared_error(y_test, model.predict(X_test))
    joblib.dump(model, out)
    print("alpha=%s features=%d test_mse=%.2f saved=%s" % (ALPHA, X.shape[1], mse, out))


if __name__ == "__main__":
    main(sys.argv)
