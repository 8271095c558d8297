DROP TABLE volunteers;
