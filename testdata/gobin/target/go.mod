module gopulse.test/target

go 1.21
