"""A plugin whose import fails, as a plugin with a missing dependency would."""

import contacthub_missing_dependency  # noqa: F401  (does not exist: the point of this plugin)
