DROP TABLE picture_variants;
DROP TABLE pictures;
DROP TABLE stored_files;
