webpool::check_pool!(book_fixed::ThreadPool);
