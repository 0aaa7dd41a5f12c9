module gcload

go 1.21
