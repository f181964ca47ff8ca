build2/user/base/evloop.o: user/base/evloop.c user/base/evloop.h
user/base/evloop.h:
