module github.com/amkit-dev/amkit

go 1.26
