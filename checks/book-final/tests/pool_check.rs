webpool::check_pool!(book_final::ThreadPool);
