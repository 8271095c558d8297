DROP TABLE foundation;
