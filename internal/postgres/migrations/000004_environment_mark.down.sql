DROP TABLE IF EXISTS environment_mark;
