DROP TABLE IF EXISTS kb_articles;
DROP FUNCTION IF EXISTS kb_document(text, text[], text, text);
DROP FUNCTION IF EXISTS kb_fold(text);
