build2/user/base/err.o: user/base/err.c user/base/err.h
user/base/err.h:
