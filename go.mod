module github.com/gopulse/gopulse

go 1.25.0

require github.com/alecthomas/participle/v2 v2.1.4
