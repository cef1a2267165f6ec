"""The production storage of static files: whitenoise's compressed, hashed copies (served with a
far-future cache), with the import statements of JavaScript modules rewritten to the hashed
names too. The live client is a set of ES modules that import each other by relative path
(static/js/live/); rewritten, a deploy never mixes a new module with an old one from a cache."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
