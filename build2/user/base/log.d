build2/user/base/log.o: user/base/log.c user/base/err.h user/base/log.h
user/base/err.h:
user/base/log.h:
