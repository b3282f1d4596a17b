webpool::check_pool!(book_stage1::ThreadPool);
