"""The six UN languages of the public pages and documents: their catalogues of words (:mod:`.catalogues`), the
words and names in a given language with no request around them (:mod:`.words`, for services that render
documents), and the visitor's language in a web request (:mod:`.i18n`, for the pages and the API docs)."""
