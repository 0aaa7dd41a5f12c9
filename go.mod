module github.com/gopulse/gopulse

go 1.25.0

require golang.org/x/arch v0.30.0

require golang.org/x/sys v0.40.0
