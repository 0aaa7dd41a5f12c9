module github.com/gopulse/gopulse

go 1.25.0
